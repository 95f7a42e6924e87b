/**
 * The TR projector (ADMM's Z-step): the weight tensorized with the plan's layout, TR-SVD at the
 * plan's ranks (+ `options.alsSweeps` TR-ALS sweeps; `startMode`, `alsTol`, `svd` pass
 * through), reconstructed, back in the kernel's shape.
 *
 * @module
 */
import { decompositionProjector, type Projector } from '@tensorslim/core';
import { TR_FORMAT, trDecomposition } from './decomposition.js';

/** The TR projector (core's `Projector` contract), registered under id "tr". */
export const trProjector: Projector = decompositionProjector(TR_FORMAT, trDecomposition);
