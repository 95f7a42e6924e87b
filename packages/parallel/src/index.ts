/**
 * @tensorslim/parallel — data-parallel training on several cores: the gradient engine
 * ({@link startGradientEngine}) splits each batch among worker threads, each with its own TF.js
 * backend (chosen by `@tensorslim/backends`) and a replica of the model, and returns the batch's
 * loss and gradients, bit-identical for a given worker count. The caller keeps its model,
 * optimizer and extra gradient terms on the main thread; the CLI's training and the benchmarks
 * call it.
 *
 * @packageDocumentation
 */
export { startGradientEngine, InProcessEngine, WorkerEngine, type LossFn } from './engine.js';
export { shardSizes, packedLayout, workLayout, type PackedLayout, type WorkLayout } from './layout.js';
export { runnableSpecifier, workerLaunch, type WorkerLaunch } from './load.js';
export type { GradientEngine, GradientEngineOptions, GradientStep, LossRef, ModuleRef } from './types.js';
