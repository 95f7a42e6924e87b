// The plugin conformance suite every format passes (@tensorslim/conformance).
import { describePluginConformance } from '@tensorslim/conformance';
import { cpPlugin } from '../src/index.js';

describePluginConformance(cpPlugin, {
  uniformRanks: (_shape, r) => [r],
  randomFactors: (shape, [r], rng) => ({
    format: 'cp',
    shape: [...shape],
    ranks: [r!],
    cores: [
      ...shape.map((n) => ({ shape: [n, r!], data: rng.normalArray(n * r!) })),
      { shape: [r!], data: Float64Array.from({ length: r! }, (_, i) => 2 - i / r!) },
    ],
  }),
  // λ folds into a factor: the layers store R·ΣI_k numbers, not the R weights beside them
  storedParams: (f) => f.cores.reduce((s, c) => s + c.data.length, 0) - f.ranks[0]!,
  savedModel: new URL('./fixtures/saved-before-generic-layers/', import.meta.url),
});
