/**
 * @tensorslim/spectra — rank selection from spectra, on `@tensorslim/linalg`'s dense kernels:
 * one truncated SVD under a rank spec as the sequential decompositions (TT-SVD, TR-SVD) take it
 * (the rank that meets an error budget, the leading columns, sign fixing, a randomized SVD
 * accepted only when it provably equals the exact one), the spectra and leading bases of mode
 * unfoldings for Tucker (Gram-based or exact, on tensors kept in whatever mode order the last
 * mode product left them), and EVBMF, the empirical variational Bayesian rank of a matrix.
 *
 * @packageDocumentation
 */
export * from './truncation.js';
export * from './arranged.js';
export * from './spectrum.js';
export * from './evbmf.js';
