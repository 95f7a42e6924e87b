import { cpDecomposition } from './decomposition.js';
import { assertFinite, detensorize, tensorize, type Projector } from '@tensorslim/core';

export const cpProjector: Projector = {
  id: 'cp',
  project(weight, target) {
    assertFinite(weight.data, `weight of ${target.name}`);      // TS_NON_FINITE, not NaN factors
    const t = tensorize(weight, target.layout);                 // the paper's layout (maybe several out/in modes)
    const f = cpDecomposition.decompose(t, target.ranks, { ...target.options, layout: target.layout });
    return detensorize(cpDecomposition.reconstruct(f), target.layout);
  },
};
