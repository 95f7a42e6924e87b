/**
 * Float64 numerics on typed arrays: tensors, matrices, QR, symmetric eigensolver, SVD, `.npy`.
 *
 * @module
 */
export * from './tensor.js';
export * from './matrix.js';
export * from './rng.js';
export * from './qr.js';
export { symEig, symEigValues, type SymEig, type SymEigOptions } from './eig.js';
export * from './svd.js';
export * from './npy.js';
export { gemm } from './gemm.js';
export { setKernelMode, kernelMode, type KernelMode } from './wasm.js';
