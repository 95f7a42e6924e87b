/**
 * The Tucker projector for ADMM's Z-step: the weight tensorized with the plan's layout, partial
 * Tucker (HOOI) at the plan's ranks — for a convolution Tucker-2 on the channel modes, the kh·kw
 * mode kept whole; `options.modes` overrides, `method`, `maxSweeps`, `tol`, `svd` pass through —
 * reconstructed, back in the kernel's shape.
 *
 * @module
 */
import { decompositionProjector, type Projector } from '@tensorslim/core';
import { TUCKER_FORMAT, tuckerDecomposition } from './decomposition.js';

/** The Tucker projector object (registered under the plugin id). */
export const tuckerProjector: Projector = decompositionProjector(TUCKER_FORMAT, tuckerDecomposition);
