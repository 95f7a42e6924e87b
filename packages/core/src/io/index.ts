/**
 * Model IO on disk without tfjs-node: load a LayersModel from model.json + weight shards (Keras
 * converter or TF.js layout) that stay inside the model's directory, save one crash-safely; the
 * durable atomic file and directory writes every other writer uses (checkpoints, reports).
 *
 * @module
 */
export * from './atomic.js';
export * from './manifest.js';
export * from './model-io.js';
