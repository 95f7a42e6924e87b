// The plugin conformance suite every format passes (@tensorslim/conformance).
// The suite's rings close on r0 = 1. TR-SVD recovers a ring at its own ranks, and projects
// idempotently, only then: with r0 > 1 the r0·r1 split of its first SVD basis depends on that
// basis, so a ring (or a TR-SVD projection) comes back only approximately, and TR-ALS refinement
// does not fix that reliably either. Rings with r0 > 1 are checked by the layer tests
// (layers.test.ts) and by the saved model of the suite, whose layers have r0 = 2.
import { describePluginConformance } from '@tensorslim/conformance';
import { trPlugin } from '../src/index.js';

describePluginConformance(trPlugin, {
  uniformRanks: (shape, r) => [1, ...new Array<number>(shape.length - 1).fill(r)],
  randomFactors: (shape, ranks, rng) => ({
    format: 'tr',
    shape: [...shape],
    ranks: [...ranks],
    cores: shape.map((n, k) => {
      const r2 = ranks[(k + 1) % shape.length]!;
      return { shape: [ranks[k]!, n, r2], data: rng.normalArray(ranks[k]! * n * r2) };
    }),
  }),
  savedModel: new URL('./fixtures/saved-before-generic-layers/', import.meta.url),
});
