/**
 * @tensorslim/decomp-tucker — the Tucker format for tensorslim: truncated HOSVD and HOOI (also
 * partial, over chosen modes), explicit / max-rank / ratio / ε / EVBMF automatic ranks, the
 * projector for ADMM's Z-step, and the `Tucker2Conv2D` / `TuckerDense` layers.
 *
 * Importing the package registers the layers with TF.js serialization, so a saved model with
 * Tucker layers loads in a fresh process once this package is imported. EVBMF and the mode
 * spectra it reads are in `@tensorslim/linalg`.
 *
 * @packageDocumentation
 */
export * from './ranks.js';
export * from './decomposition.js';
export * from './projector.js';
export * from './layers.js';
export * from './plugin.js';
export { tuckerPlugin as default } from './plugin.js';
