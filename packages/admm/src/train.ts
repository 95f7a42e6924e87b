/**
 * The training entry points for the pieces alone: dense training ({@link trainDense}),
 * fine-tuning without the ADMM term ({@link fineTune}) and ADMM training without decomposition
 * ({@link admmTrain}). Each validates its options against its schema in options.ts.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompressionPlan, DataSource, PluginRegistry } from '@tensorslim/core';
import { defaultRegistry, parseOptions, parsePlan } from '@tensorslim/core';
import { createAdmmSolver } from './container.js';
import { evaluate, type Evaluation } from './evaluate.js';
import type { EpochRecord, ProgressListener } from './events.js';
import type { GradientStepper } from './gradient-source.js';
import type { AdmmOptions, TrainOptions } from './options.js';
import { admmTrainOptionsSchema, definedOnly, fineTuneOptionsSchema, trainRunOptionsSchema } from './options.js';
import type { AdmmSolver } from './solver.js';
import { resolvePlannedLayers } from './targets.js';
import { disposeOptimizer, makeOptimizer, trainLoop, type BatchTransform, type OptimizerFactory } from './trainer.js';

/** Result of {@link trainDense} and {@link fineTune}. */
export interface TrainResult {
  /** One record per epoch. */
  readonly history: EpochRecord[];
  /** Validation loss/accuracy after training. */
  readonly evaluation: Evaluation;
  /** Wall time, ms. */
  readonly ms: number;
}

/** Options of {@link trainDense} and {@link fineTune} (see {@link trainRunOptionsSchema}). */
export interface TrainRunOptions extends Partial<TrainOptions> {
  /** Progress events. */
  readonly onEvent?: ProgressListener;
  /** Transforms every training batch before its gradient step (e.g. adversarial examples). */
  readonly batchTransform?: BatchTransform;
  /** Where the gradients come from (default: the calling thread). */
  readonly stepper?: GradientStepper;
  /** Steps between reads of the training loss (default 1; see `trainLoop`'s `readEvery`). */
  readonly readEvery?: number;
  /** Makes the optimizer (default {@link makeOptimizer}: `tf.train.momentum`). */
  readonly optimizer?: OptimizerFactory;
}

async function plainTrain(
  phase: string,
  model: tfl.LayersModel,
  data: DataSource,
  options: TrainRunOptions,
  schema: typeof trainRunOptionsSchema,
): Promise<TrainResult> {
  const { onEvent, batchTransform, stepper, readEvery, optimizer: makeOpt, ...o } = parseOptions(schema, definedOnly(options));
  const t0 = performance.now();
  const optimizer = (makeOpt ?? makeOptimizer)(o);
  try {
    const { history } = await trainLoop({ phase, model, data, options: o, optimizer, onEvent, batchTransform, stepper, readEvery });
    return { history, evaluation: await evaluate(model, data, { batchSize: o.evalBatchSize, loss: o.loss }), ms: performance.now() - t0 };
  } finally {
    disposeOptimizer(optimizer);
  }
}

/**
 * Trains a dense model with SGD + momentum (defaults: lr 0.1, momentum 0.9, batch 128) and
 * evaluates it on the validation split.
 */
export function trainDense(model: tfl.LayersModel, data: DataSource, options: TrainRunOptions = {}): Promise<TrainResult> {
  return plainTrain('train', model, data, options, trainRunOptionsSchema);
}

/**
 * Fine-tunes a (factorized) model without any ADMM term (defaults: lr 0.005 — the paper's
 * fine-tuning rate — momentum 0.9, batch 128) and evaluates it.
 */
export function fineTune(model: tfl.LayersModel, data: DataSource, options: TrainRunOptions = {}): Promise<TrainResult> {
  return plainTrain('finetune', model, data, options, fineTuneOptionsSchema);
}

/** Options of {@link admmTrain}: training + solver options, the registry and a listener (see {@link admmTrainOptionsSchema}). */
export interface AdmmTrainOptions extends Partial<TrainOptions>, Partial<AdmmOptions> {
  /** Registry of projectors (default: core's default container). */
  readonly container?: PluginRegistry;
  /** Progress events. */
  readonly onEvent?: ProgressListener;
  /** Where the gradients come from (default: the calling thread). */
  readonly stepper?: GradientStepper;
  /** Steps between reads of the training loss (default 1; see `trainLoop`'s `readEvery`). */
  readonly readEvery?: number;
  /** Makes the optimizer (default {@link makeOptimizer}: `tf.train.momentum`). */
  readonly optimizer?: OptimizerFactory;
}

/** Result of {@link admmTrain}. */
export interface AdmmTrainResult {
  /** The solver (Z, U, residual history, `projectWeights()`); dispose it when done. */
  readonly solver: AdmmSolver;
  /** One record per epoch. */
  readonly history: EpochRecord[];
  /** Validation loss/accuracy of the ADMM-trained dense model. */
  readonly evaluation: Evaluation;
  /** True if the tolerances stopped training early. */
  readonly stoppedEarly: boolean;
}

/**
 * ADMM training alone (no decomposition): works with any registered projector, including
 * projector-only formats (a sparsity mask, ...). Defaults: ρ = 1e-3, update per epoch, momentum
 * 0.9, lr 0.1 (the paper's).
 */
export async function admmTrain(
  model: tfl.LayersModel,
  data: DataSource,
  plan: CompressionPlan | string | unknown,
  options: AdmmTrainOptions = {},
): Promise<AdmmTrainResult> {
  const {
    container,
    onEvent,
    stepper,
    readEvery,
    optimizer: makeOpt,
    rho,
    rhoSchedule,
    updateEvery,
    primalTol,
    dualTol,
    ...o
  } = parseOptions(admmTrainOptionsSchema, definedOnly(options));
  const registry = container ?? defaultRegistry;
  const planned = await resolvePlannedLayers(model, parsePlan(plan), registry);
  const solver = createAdmmSolver(
    planned.map((p) => ({ name: p.name, target: p.target, variable: p.kernel })),
    { rho, rhoSchedule, updateEvery, primalTol, dualTol },
    registry,
  );
  const optimizer = (makeOpt ?? makeOptimizer)(o);
  try {
    await solver.initialize();
    const { history, position } = await trainLoop({ phase: 'admm', model, data, options: o, optimizer, solver, onEvent, stepper, readEvery });
    return { solver, history, evaluation: await evaluate(model, data, { batchSize: o.evalBatchSize, loss: o.loss }), stoppedEarly: position.stopped };
  } catch (e) {
    solver.dispose();
    throw e;
  } finally {
    disposeOptimizer(optimizer);
  }
}
