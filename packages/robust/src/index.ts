/**
 * @tensorslim/robust: model compression with adversarial robustness (ATMC, Gui et al., NeurIPS
 * 2019) on tensorslim's ADMM pipeline — PGD/FGSM adversarial examples as the training loop's batch
 * transform, robust evaluation, and the quantization projector composed with prune's sparsity
 * projector and a low-rank format.
 *
 * @module
 */
export * from './attack.js';
export * from './quantize.js';
export * from './atmc.js';
export * from './options.js';
