/**
 * Model IO on disk without tfjs-node: load a LayersModel from model.json + weight shards (Keras
 * converter or TF.js layout), save one atomically; atomic file writes for other callers.
 *
 * @module
 */
export * from './atomic.js';
export * from './manifest.js';
export * from './model-io.js';
