/**
 * @tensorslim/linalg — float64 linear algebra on typed arrays: a dense tensor type with
 * unfold/fold/permute, GEMM, QR, a symmetric eigensolver, exact, Gram-based and randomized
 * truncated SVD, a seeded random generator and `.npy` IO, running on WebAssembly SIMD kernels
 * (written as `.wat`, assembled at build time) with plain-JavaScript twins as the fallback.
 * Rank selection from spectra (truncation under an error budget, mode spectra, EVBMF) builds on
 * these kernels in `@tensorslim/spectra`.
 *
 * It also holds tensorslim's error family ({@link TensorslimError} with its stable
 * {@link ErrorCodes}): linalg sits at the bottom of the dependency graph, so the numerics throw
 * the same class as every other package, which take it from `@tensorslim/core`.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './tensor.js';
export * from './matrix.js';
export * from './rng.js';
export * from './qr.js';
export { symEig, symEigValues, type SymEig, type SymEigOptions } from './eig.js';
export * from './svd.js';
export * from './npy.js';
export { gemm } from './gemm.js';
export { setKernelMode, kernelMode, type KernelMode } from './heap.js';
