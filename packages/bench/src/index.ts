/**
 * @tensorslim/bench — the benchmarks behind `tensorslim bench`: training throughput per backend
 * (in process, data-parallel on worker threads, beside PyTorch on CPU) and each format's
 * factorized convolution against the dense one it replaces.
 *
 * @packageDocumentation
 */
export {
  benchTrainOptionsSchema,
  runBenchTrain,
  torchRatios,
  type BenchTrainOptions,
  type BenchTrainResult,
  type BenchTrainDeps,
  type BackendStarter,
  type ModelBuilder,
} from './train.js';
export { benchLayersOptionsSchema, benchFactorizedConv, runBenchLayers, type BenchLayersOptions, type BenchLayersResult, type StageTimes } from './layers.js';
export { syntheticBatch, timeSteps, timeTrainingSteps, timeParallelSteps, type StepTimes, type EngineStarter } from './steps.js';
export {
  detectTorch,
  runTorchReference,
  spawnRunner,
  TORCH_PYTHONS,
  TORCH_SCRIPT,
  type ProcessResult,
  type ProcessRunner,
  type TorchDetection,
  type TorchReport,
  type TorchRun,
} from './torch.js';
export { median } from './median.js';
