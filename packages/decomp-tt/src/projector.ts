/**
 * The TT projector (ADMM's Z-step): the weight tensorized with the plan's layout, TT-SVD at the
 * plan's ranks (plan option `svd` passes through), reconstructed, back in the kernel's shape.
 *
 * @module
 */
import { decompositionProjector, type Projector } from '@tensorslim/core';
import { TT_FORMAT, ttDecomposition } from './decomposition.js';

/** The TT projector registered under id "tt". */
export const ttProjector: Projector = decompositionProjector(TT_FORMAT, ttDecomposition);
