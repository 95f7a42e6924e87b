/**
 * The `atd` projector. A format plugin must name one, but ATD decomposes data tensors, not the
 * weights ADMM trains: this projector refuses with `TS_PLUGIN`, pointing at the weight formats.
 *
 * @module
 */
import { ErrorCodes, fail, type Projector } from '@tensorslim/core';

/** The projector of the `atd` format: it always fails (`TS_PLUGIN`), ATD has no ADMM Z-step. */
export const atdProjector: Projector = {
  id: 'atd',
  project() {
    return fail(
      ErrorCodes.PLUGIN,
      'atd decomposes data tensors, not weights: it has no projector for ADMM',
      'compress with a weight format (tt, tr, tucker, cp)',
    );
  },
};
