/**
 * @tensorslim/backends — choosing the TF.js backend ({@link selectBackend}: tensorflow → webgpu →
 * wasm → cpu, with the reason for each choice) and the training kernels tensorslim registers so
 * that models train on wasm at XNNPACK speed (and the filter gradient, the momentum update and the
 * batch-norm backward pass on webgpu). It stands beside `@tensorslim/core`: core defines formats
 * without it; the CLI and benchmarks call it. Data-parallel training on worker threads, each with
 * a backend chosen here, is in `@tensorslim/parallel`.
 *
 * @packageDocumentation
 */
export {
  BACKEND_ORDER,
  LOSS_READ_EVERY,
  selectBackend,
  describeBackend,
  isBackendRequest,
  isNotInstalledError,
  softwareAdapterReason,
  type BackendName,
  type BackendRequest,
  type BackendSkip,
  type BackendSelection,
  type ModuleImporter,
  type SelectBackendOptions,
} from './select.js';
export {
  WASM_TRAINING_KERNELS,
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernelsRegistered,
  type TrainingKernel,
} from './kernels/register.js';
export { registerLeanGradients, unregisterLeanGradients, leanGradientsRegistered } from './gradients.js';
export { KernelScope, type CompositeBackend, type KernelInputs } from './kernels/scope.js';
export {
  conv2dBackpropFilterNhwc,
  conv2dBackpropFilterKernel,
  conv2dBackpropFilterConfig,
  type Conv2DBackpropFilterAttrs,
} from './kernels/conv2d-backprop-filter.js';
export {
  conv2dBackpropFilterGemm,
  conv2dBackpropFilterWasmKernel,
  conv2dBackpropFilterWasmConfig,
  paddedInput,
  padInto,
  type PaddedInput,
} from './kernels/conv2d-backprop-filter-wasm.js';
export {
  conv2dBackpropInputNhwc,
  conv2dBackpropInputByPhases,
  conv2dBackpropInputKernel,
  conv2dBackpropInputConfig,
  spreadOnGrid,
  type Conv2DBackpropInputAttrs,
} from './kernels/conv2d-backprop-input.js';
export { convGradGeometry, type ConvGradGeometry, type ConvGradAttrs } from './kernels/conv-geometry.js';
export { tileInto, simplifyTile, type TilePlan } from './kernels/tile.js';
export { middleSplit, reduceMiddle } from './kernels/reduce.js';
export { segmentSumInto } from './kernels/unsorted-segment-sum.js';
export { normalizeRows } from './kernels/batch-norm.js';
export * from './webgpu-kernels.js';
export * from './webgpu-dispatches.js';
export * from './webgpu-momentum.js';
export * from './webgpu-batch-norm.js';
