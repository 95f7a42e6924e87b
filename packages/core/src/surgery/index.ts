/**
 * Model surgery: which layers of a TF.js LayersModel can be factorized, per-layer parameters and
 * FLOPs, binding a plan to a model, and rebuilding the model with factorized layers.
 *
 * @module
 */
export * from './tfjs-compat.js';
export * from './layer-info.js';
export * from './flops.js';
export * from './summary.js';
export * from './targets.js';
export * from './replace.js';
export * from './factorize.js';
export * from './factorize-layer.js';
export * from './budget-plan.js';
