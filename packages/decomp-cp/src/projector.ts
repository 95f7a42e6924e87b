/**
 * The CP projector (ADMM's Z-step): the weight, tensorized in the plan's layout, replaced by its
 * rank-R CP-ALS approximation (the plan entry's `options` reach CP-ALS), back in the kernel's shape.
 *
 * @module
 */
import { decompositionProjector, type Projector } from '@tensorslim/core';
import { cpDecomposition } from './decomposition.js';

/** Projects a kernel onto CP rank ≤ R in the paper's layout. */
export const cpProjector: Projector = decompositionProjector('cp', cpDecomposition);
