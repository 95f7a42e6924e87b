/**
 * @tensorslim/decomp-tr — the tensor-ring (TR) format plugin: TR-SVD (Zhao et al. 2016) with
 * ring ranks, max rank, compression ratio or ε; TR-ALS refinement; the projector for ADMM's
 * Z-step; and the TRConv2D / TRDense layers (registered with TF.js serialization at import).
 *
 * @packageDocumentation
 */
export * from './ranks.js';
export * from './decomposition.js';
export * from './projector.js';
export * from './layers.js';
export * from './plugin.js';
export { trPlugin as default } from './plugin.js';
