/**
 * Factorized-layer building blocks shared by the format plugins.
 *
 * @module
 */
export * from './activations.js';
export * from './three-stage.js';
export * from './factorized-layers.js';
export * from './layer-config.js';
export * from './define.js';
