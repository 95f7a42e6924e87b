/**
 * @tensorslim/decomp-tucker — the Tucker format for tensorslim: truncated HOSVD and HOOI (also
 * partial, over chosen modes), explicit / max-rank / ratio / ε / EVBMF automatic ranks, the
 * projector for ADMM's Z-step, and the `Tucker2Conv2D` / `TuckerDense` layers.
 *
 * Importing the package registers the layers with TF.js serialization, so a saved model with
 * Tucker layers loads in a fresh process once this package is imported.
 *
 * @packageDocumentation
 */
import { registerTuckerLayers } from './layers.js';

export { plugin, register } from './plugin.js';
export {
  hosvd,
  hooi,
  tucker,
  reconstructTucker,
  resolveTuckerRanks,
  validateTuckerFactors,
  factorModes,
  TUCKER_FORMAT,
  type TuckerOptions,
  type TuckerMeta,
} from './tucker.js';
export {
  validateTuckerRanks,
  normalizeModes,
  coreShape,
  defaultChannelModes,
  modesFromOptions,
  TUCKER_RANK_CONVENTION,
  type TuckerRanks,
} from './validate.js';
export { tuckerParamCount, resolveTuckerSpec, type SpectrumSource } from './rank-specs.js';
export { evbmf, evbmfFromSingularValues, evbTauBar, evbFreeEnergy, type EvbmfResult } from './evbmf.js';
export { MAX_GRAM_SIZE, type SvdMethod } from './spectrum.js';
export { tuckerProject, tuckerProjector, tuckerOptionsFromTarget } from './projector.js';
export {
  Tucker2Conv2D,
  TuckerDense,
  tuckerLayerClasses,
  registerTuckerLayers,
  type Tucker2Conv2DArgs,
  type TuckerDenseArgs,
  type TuckerLayerConfig,
} from './layers.js';
export { tuckerLayers, tuckerLayerFromFactors, tuckerLayerFromDense } from './factory.js';

registerTuckerLayers();
