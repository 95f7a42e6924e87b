// The plugin conformance suite every format passes (@tensorslim/conformance).
import { describePluginConformance } from '@tensorslim/conformance';
import { ttPlugin } from '../src/index.js';

describePluginConformance(ttPlugin, {
  uniformRanks: (shape, r) => [1, ...new Array<number>(shape.length - 1).fill(r), 1],
  randomFactors: (shape, ranks, rng) => ({
    format: 'tt',
    shape: [...shape],
    ranks: [...ranks],
    cores: shape.map((n, k) => ({ shape: [ranks[k]!, n, ranks[k + 1]!], data: rng.normalArray(ranks[k]! * n * ranks[k + 1]!) })),
  }),
  savedModel: new URL('./fixtures/saved-before-generic-layers/', import.meta.url),
});
