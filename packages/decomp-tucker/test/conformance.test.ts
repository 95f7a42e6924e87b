// The plugin conformance suite every format passes (@tensorslim/conformance).
import { describePluginConformance } from '@tensorslim/conformance';
import { coreShape, defaultChannelModes, tuckerPlugin } from '../src/index.js';

describePluginConformance(tuckerPlugin, {
  // a layer kernel decomposes its channel modes by default, a plain tensor all of them
  uniformRanks: (shape, r, layout) => (layout ? defaultChannelModes(layout) : shape.map((_, i) => i)).map(() => r),
  randomFactors: (shape, ranks, rng, layout) => {
    const modes = layout ? defaultChannelModes(layout) : shape.map((_, i) => i);
    const core = coreShape(shape, ranks, modes);
    return {
      format: 'tucker',
      shape: [...shape],
      ranks: [...ranks],
      cores: [
        { shape: core, data: rng.normalArray(core.reduce((a, b) => a * b, 1)) },
        ...modes.map((m, i) => ({ shape: [shape[m]!, ranks[i]!], data: rng.normalArray(shape[m]! * ranks[i]!) })),
      ],
      meta: { modes },
    };
  },
  savedModel: new URL('./fixtures/saved-before-generic-layers/', import.meta.url),
});
