/**
 * A CP (CANDECOMP/PARAFAC) format plugin for tensorslim, written from docs/plugin-guide.md as an
 * outside author would, against `@tensorslim/core`'s public API only.
 *
 * - `plugin` / `register(container)`: the format under id `cp`;
 * - `cpAls(tensor, spec, opts)`: CP-ALS as a plain function over linalg's DenseTensor;
 * - `CPConv2D` (1×1 → depthwise kh×kw → 1×1, Lebedev et al. 2015) and `CPDense`, registered with
 *   TF.js serialization at import.
 *
 * @packageDocumentation
 */
export { plugin, register } from './plugin.js';
export { cpAls, cpEpsSearch, cpDecomposition, ratioCpRank, resolveCpRanks } from './decomposition.js';
export { cpAlsAtRank, cpParamCount, khatriRao, reconstructCp, type CpAlsMeta, type CpAlsOptions, type FactorMatrixLike } from './cp-als.js';
export { cpProjector } from './projector.js';
export {
  CPConv2D,
  CPDense,
  cpConvFlops,
  khatriRaoTf,
  registerCpLayers,
  type CPConv2DArgs,
  type CPDenseArgs,
  type CPLayerConfig,
} from './layers.js';
export { cpLayerFromFactors, cpLayers, cpLayerWeights } from './factory.js';
export {
  CP_RANK_CONVENTION,
  maxCpRank,
  validateCpFactors,
  validateCpRanks,
  validateCpShape,
  type CpParts,
  type CpRankCheck,
} from './validate.js';
