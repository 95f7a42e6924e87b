/**
 * @tensorslim/experiment — the reproduction experiment runner: a grid of {model, format, ratio,
 * seed} cells run through the `tensorslim` command (dense models once per seed, then ADMM, direct
 * and continued-baseline arms per cell), resumable, reported as results.json, table.md and plots.
 *
 * @packageDocumentation
 */
export {
  experimentSpecSchema,
  experimentSpecSchemaFor,
  checkSpec,
  parseSpec,
  toFlags,
  pickTrain,
  pickCompress,
  type ExperimentSpec,
  type CommandFlagNames,
} from './spec.js';
export { cellId, type CellLayer, type CellEpochs, type CellResult } from './cell.js';
export { runExperiment, childRunner, experimentThreads, type CommandRunner, type ExperimentOptions } from './run.js';
export { writeExperimentReport, meanStd } from './report.js';
