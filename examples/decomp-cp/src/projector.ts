/**
 * The CP projector (ADMM's Z-step): the weight, tensorized in the plan's layout, replaced by its
 * rank-R CP-ALS approximation, back in the kernel's own shape.
 *
 * @module
 */
import { assertFinite, detensorize, tensorize, type Projector } from '@tensorslim/core';
import { cpDecomposition } from './decomposition.js';

/** Projects a kernel onto CP rank ≤ R in the paper's layout (the target's `options` reach CP-ALS). */
export const cpProjector: Projector = {
  id: 'cp',
  project(weight, target) {
    assertFinite(weight.data, `weight of ${target.name}`);
    const t = tensorize(weight, target.layout); // the paper's layout
    const f = cpDecomposition.decompose(t, target.ranks, target.options);
    return detensorize(cpDecomposition.reconstruct(f), target.layout);
  },
};
