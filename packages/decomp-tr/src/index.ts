/**
 * @tensorslim/decomp-tr — the tensor-ring (TR) format plugin: TR-SVD (Zhao et al. 2016) with
 * ring ranks, max rank, compression ratio or ε; TR-ALS refinement; the projector for ADMM's
 * Z-step; and the TRConv2D / TRDense layers (registered with TF.js serialization at import).
 *
 * @packageDocumentation
 */
export { plugin, register } from './plugin.js';
export { trSvd, rankWithin, fixSigns, TR_FORMAT, type TrSvdOptions } from './tr-svd.js';
export { trAls, type TrAlsOptions } from './tr-als.js';
export {
  trDecompose,
  trResolveRanks,
  trProject,
  trOptionsFromTarget,
  trDecomposition,
  trProjector,
  type TrDecomposeOptions,
} from './decomposition.js';
export { trReconstruct, trReconstructCores, chainProduct, ringOf, rotateModes, rotateList } from './cores.js';
export {
  validateTrRanks,
  validateStartMode,
  trParamCount,
  trCoreShapes,
  splitFirstRank,
  firstSplitLimit,
  maxRankRanks,
  ratioRanks,
  resolveSpecRanks,
  TR_RANK_CONVENTION,
  type ValidateTrRanksOptions,
} from './ranks.js';
export {
  TRConv2D,
  TRDense,
  trLayerClasses,
  registerTrLayers,
  trFromFactors,
  trLayerFactory,
  trConvFlops,
  trDenseFlops,
  type TRConv2DArgs,
  type TRDenseArgs,
  type TRLayerArgs,
  type TRConvSizes,
} from './layers.js';
