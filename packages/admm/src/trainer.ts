/**
 * The training loop: SGD with momentum over a {@link DataSource}, one step per batch, with the
 * ADMM term added to the compressed kernels' gradients when a solver is given. Custom (not
 * `model.fit`) so that ADMM updates, checkpoints and exact mid-epoch resume fit in.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch, DataSource } from '@tensorslim/core';
import { ErrorCodes, fail } from '@tensorslim/core';
import { evaluate } from './evaluate.js';
import { readScalars } from './read.js';
import type { EpochRecord, ProgressListener } from './events.js';
import type { GradientSource, GradientStepper } from './gradient-source.js';
import { EtaClock } from './events.js';
import { correctCount, detectOutputKind, makeLoss } from './loss.js';
import type { TrainOptions } from './options.js';
import { validateTrainOptions } from './options.js';
import type { AdmmSolver } from './solver.js';

/** Where a training phase stands: enough to continue it exactly. */
export interface LoopPosition {
  /** Current epoch (0-based); equals the phase's epochs when it is finished. */
  readonly epoch: number;
  /** Steps already done in the current epoch (the data source's `startStep` on resume). */
  readonly step: number;
  /** Steps done in the phase. */
  readonly globalStep: number;
  /** Sum of batch losses × batch sizes in the current epoch so far. */
  readonly lossSum: number;
  /** Correct predictions in the current epoch so far. */
  readonly correct: number;
  /** Examples seen in the current epoch so far. */
  readonly seen: number;
  /** Milliseconds spent in the current epoch so far. */
  readonly epochMs: number;
  /** True once the phase stopped early (ADMM tolerances met). */
  readonly stopped: boolean;
}

/** Where a batch is in a run, for a {@link BatchTransform}. */
export interface BatchContext {
  /** Phase name. */
  readonly phase: string;
  /** Epoch (0-based). */
  readonly epoch: number;
  /** Steps done in the phase before this batch. */
  readonly globalStep: number;
  /** The phase's run seed. */
  readonly seed: number;
}

/**
 * A transform of each training batch before the gradient step: the step trains on what it
 * returns (adversarial examples generated on the fly against the current weights, augmentation,
 * ...). It may run its own forward and backward passes; it must not change the weights. The
 * trainer disposes the batch it returns (and the batch it was given).
 */
export type BatchTransform = (batch: Batch, model: tfl.LayersModel, ctx: BatchContext) => Batch;

/** A step's loss and correct count: numbers once read, tensors until then. */
interface StepLoss {
  readonly loss: number | tf.Tensor;
  readonly correct: number | tf.Tensor;
}

/** A step that ran, waiting for its loss to be read. */
interface PendingStep extends StepLoss {
  readonly epoch: number;
  /** Steps done in the epoch before it. */
  readonly step: number;
  /** Steps done in the phase before it. */
  readonly globalStep: number;
  /** Its batch size. */
  readonly bs: number;
  /** Whether its update was applied before its loss was read. */
  readonly applied: boolean;
  readonly elapsedMs: number;
  readonly etaMs: number | null;
}

/** The position at the start of a phase. */
export const LOOP_START: LoopPosition = Object.freeze({ epoch: 0, step: 0, globalStep: 0, lossSum: 0, correct: 0, seen: 0, epochMs: 0, stopped: false });

/** Arguments of {@link trainLoop}. */
export interface TrainLoopArgs {
  /** Phase name, used in events and records. */
  readonly phase: string;
  /** The model to train (in place). */
  readonly model: tfl.LayersModel;
  /** Training and validation data. */
  readonly data: DataSource;
  /** Epochs, lr, momentum, batch size, label smoothing, weight decay, seed, loss. */
  readonly options: TrainOptions;
  /** The optimizer (e.g. `tf.train.momentum(lr, 0.9)`); the caller owns it (to checkpoint its state). */
  readonly optimizer: tf.Optimizer;
  /** The ADMM solver, initialized; omitted for plain training. */
  readonly solver?: AdmmSolver | null;
  /** Where to start (default: the beginning). */
  readonly start?: LoopPosition;
  /** Epoch records are appended here (default: a new array). */
  readonly history?: EpochRecord[];
  /** Progress events. */
  readonly onEvent?: ProgressListener;
  /** Evaluate on the validation split after each epoch (default true). */
  readonly evaluateEachEpoch?: boolean;
  /**
   * Called after every step whose losses have been read (every step when `readEvery` is 1), once
   * the step's epoch-end work (ADMM update, evaluation) is done. `pos` is the position to resume
   * from; `done` is true after the phase's last step.
   */
  readonly afterStep?: (pos: LoopPosition, done: boolean) => void | Promise<void>;
  /** Called right after every step's update, before the next step (e.g. to re-apply pruning masks). */
  readonly afterUpdate?: () => void;
  /**
   * Steps between reads of the training loss (default 1: each step's loss is read, and checked,
   * before its update is applied). With N > 1 the steps' losses stay on the backend and are read
   * together every N steps, at epoch ends, before ADMM updates and at the steps `readAt` names,
   * so that a GPU runs ahead instead of waiting for each read; the results are the same, but a
   * non-finite loss is found up to N − 1 steps late, with those steps applied. Step events come
   * at the reads, in order.
   */
  readonly readEvery?: number;
  /** Steps (by their count in the phase) after which the losses must be read: where the caller needs `afterStep`'s position (its checkpoints). */
  readonly readAt?: (globalStep: number) => boolean;
  /** Transforms each training batch before its gradient step (default: none). */
  readonly batchTransform?: BatchTransform | null;
  /**
   * Where the loss gradients come from (e.g. worker threads); omitted: the loop differentiates on
   * the calling thread. Weight decay, the ADMM term and the update stay on the calling thread.
   */
  readonly stepper?: GradientStepper | null;
}

/** What {@link trainLoop} returns. */
export interface TrainLoopResult {
  /** The final position (epoch = epochs unless stopped early). */
  readonly position: LoopPosition;
  /** Epoch records (the `history` passed in, with this run's epochs appended). */
  readonly history: EpochRecord[];
}

/** The trainable variables of a model (what the optimizer updates), in model order. */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Makes a momentum-SGD optimizer for a phase's learning rate and momentum: {@link makeOptimizer}
 * by default; a backend may supply one with a fused update (the same state and the same rule).
 */
export type OptimizerFactory = (opts: Pick<TrainOptions, 'lr' | 'momentum'>) => tf.Optimizer;

/** A momentum-SGD optimizer (`tf.train.momentum`) for the given options. */
export function makeOptimizer(opts: Pick<TrainOptions, 'lr' | 'momentum'>): tf.Optimizer {
  return tf.train.momentum(opts.lr, opts.momentum);
}

/**
 * Disposes an optimizer completely. (TF.js 4.22's MomentumOptimizer.dispose() frees its
 * accumulators but not the learning-rate scalar of its SGD base; this frees that too.)
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

/** Estimated steps per epoch (used for ETAs only; the loop follows the data source). */
export function stepsPerEpoch(data: DataSource, batchSize: number): number {
  return Math.max(1, Math.ceil(data.trainSize / batchSize));
}

/**
 * Trains `model` for the remaining epochs of a phase. Each step: forward in training mode, loss
 * (with label smoothing), gradients, + weight decay, + the ADMM term ρ(W − Z + U) for the
 * compressed kernels, momentum-SGD update. At each epoch end (or every N steps, per the solver's
 * options) the solver updates Z and U. A non-finite loss stops training before the update is
 * applied and throws `TS_DIVERGED` (the weights keep their last finite values); with `readEvery`
 * N > 1 it is found at the next read, with the steps since applied. Nothing is read synchronously:
 * the loop runs on webgpu in Node, where `dataSync` cannot.
 */
export async function trainLoop(args: TrainLoopArgs): Promise<TrainLoopResult> {
  const { phase, model, data, optimizer } = args;
  const o = validateTrainOptions(args.options, phase);
  const solver = args.solver ?? null;
  const history = args.history ?? [];
  const lossFn = makeLoss(o.loss, detectOutputKind(model), o.labelSmoothing);
  const vars = trainableVariables(model);
  const perEpoch = stepsPerEpoch(data, o.batchSize);
  const totalSteps = perEpoch * o.epochs;
  const clock = new EtaClock();
  const wd = o.weightDecay > 0 ? tf.scalar(o.weightDecay) : null;
  let pos: LoopPosition = args.start ?? LOOP_START;
  const emit = async (e: Parameters<ProgressListener>[0]) => {
    if (args.onEvent) await args.onEvent(e);
  };

  const finishEpoch = async (p: LoopPosition, t0: number): Promise<EpochRecord> => {
    const ev = (args.evaluateEachEpoch ?? true) && data.valSize > 0 ? await evaluate(model, data, { batchSize: o.evalBatchSize, loss: o.loss }) : null;
    const record: EpochRecord = {
      phase,
      epoch: p.epoch,
      trainLoss: p.seen > 0 ? p.lossSum / p.seen : NaN,
      trainAccuracy: o.loss === 'crossentropy' && p.seen > 0 ? p.correct / p.seen : null,
      valLoss: ev ? ev.loss : null,
      valAccuracy: ev ? ev.accuracy : null,
      lr: o.lr,
      rho: solver ? solver.rho : null,
      ms: p.epochMs + (performance.now() - t0),
    };
    history.push(record);
    await emit({ type: 'epoch', record });
    return record;
  };

  /** + weight decay, + the ADMM term, momentum-SGD update (inside the caller's tidy). */
  const applyUpdate = (grads: tf.NamedTensorMap): void => {
    let g: tf.NamedTensorMap = grads;
    if (wd) {
      const decayed: tf.NamedTensorMap = {};
      for (const v of vars) if (g[v.name]) decayed[v.name] = tf.add(g[v.name]!, tf.mul(v, wd));
      g = decayed;
    }
    if (solver) g = solver.augmentGradients(g);
    optimizer.applyGradients(g);
  };
  const readEvery = args.readEvery ?? 1;
  const counting = o.loss === 'crossentropy';
  /**
   * One step on the calling thread: loss and gradients, then the update. With `check` the loss is
   * read first and a non-finite one skips the update; otherwise the update is applied at once and
   * the loss (and correct count) come back as tensors, to be read later.
   */
  const stepHere = async (batch: { xs: tf.Tensor; ys: tf.Tensor }, check: boolean): Promise<StepLoss> => {
    const counted: tf.Scalar[] = [];
    const { value, grads } = tf.tidy(() => {
      let pred: tf.Tensor | null = null;
      const r = tf.variableGrads(() => {
        const p = model.apply(batch.xs, { training: true }) as tf.Tensor;
        pred = tf.keep(p);
        return lossFn(batch.ys, p);
      }, vars);
      if (counting && pred) counted.push(tf.keep(correctCount(batch.ys, pred)));
      if (pred) (pred as tf.Tensor).dispose();
      return r;
    });
    const correct = counted[0];
    try {
      if (check) {
        const [loss, c] = await readScalars(correct ? [value, correct] : [value]);
        if (Number.isFinite(loss!)) tf.tidy(() => applyUpdate(grads));
        return { loss: loss!, correct: c ?? 0 };
      }
      tf.tidy(() => applyUpdate(grads));
      return { loss: value, correct: correct ?? 0 };
    } finally {
      tf.dispose(Object.values(grads));
      if (check) tf.dispose([value, ...(correct ? [correct] : [])]);
    }
  };
  /** One step with the injected source's gradients. */
  const stepWith = async (source: GradientSource, batch: { xs: tf.Tensor; ys: tf.Tensor }): Promise<StepLoss> => {
    const r = await source.gradients(batch.xs, batch.ys);
    try {
      if (Number.isFinite(r.loss)) tf.tidy(() => applyUpdate(r.grads));
    } finally {
      tf.dispose(Object.values(r.grads));
    }
    return { loss: r.loss, correct: counting ? (r.correct ?? 0) : 0 };
  };
  let source: GradientSource | null = null;
  /** Steps run whose losses are not read yet, in order. */
  const pending: PendingStep[] = [];
  /** Reads the pending steps' losses (one read), adds them to the position and emits their step events, in order. */
  const settle = async (): Promise<void> => {
    if (pending.length === 0) return;
    const steps = pending.splice(0);
    const tensors = steps.flatMap((p) => [p.loss, p.correct].filter((v): v is tf.Tensor => typeof v !== 'number'));
    let values: Float32Array;
    try {
      values = await readScalars(tensors);
    } finally {
      tf.dispose(tensors);
    }
    let k = 0;
    const valueOf = (v: tf.Tensor | number) => (typeof v === 'number' ? v : values[k++]!);
    for (const [i, p] of steps.entries()) {
      const loss = valueOf(p.loss);
      const correct = valueOf(p.correct);
      if (!Number.isFinite(loss)) {
        const late = steps.length - 1 - i;
        fail(
          ErrorCodes.DIVERGED,
          `training diverged in phase ${phase} at epoch ${p.epoch}, step ${p.step} (loss ${loss}); ` +
            (p.applied ? `the losses were read every ${readEvery} steps: this step and the ${late} after it were applied` : 'the step was not applied'),
          'lower the learning rate (or rho) and resume from the last checkpoint',
          { phase, epoch: p.epoch, step: p.step, globalStep: p.globalStep },
        );
      }
      pos = { ...pos, lossSum: pos.lossSum + loss * p.bs, correct: pos.correct + correct };
      await emit({
        type: 'step',
        phase,
        epoch: p.epoch,
        step: p.step + 1,
        stepsPerEpoch: perEpoch,
        globalStep: p.globalStep + 1,
        totalSteps,
        loss,
        lr: o.lr,
        rho: solver ? solver.rho : null,
        elapsedMs: p.elapsedMs,
        etaMs: p.etaMs,
      });
    }
  };

  try {
    if (args.stepper) source = await args.stepper.start(model, { kind: o.loss, output: detectOutputKind(model), labelSmoothing: o.labelSmoothing });
    while (pos.epoch < o.epochs && !pos.stopped) {
      const epoch = pos.epoch;
      let t0 = performance.now();
      const it = data.trainBatches(o.batchSize, { epoch, seed: o.seed, startStep: pos.step })[Symbol.iterator]();
      let next = it.next();
      if (next.done && pos.step === 0) {
        fail(ErrorCodes.DATA, `the data source "${data.name}" yielded no training batches for epoch ${epoch}`, 'check trainSize and the batch size');
      }
      while (!next.done) {
        const given = next.value;
        const batch = args.batchTransform ? args.batchTransform(given, model, { phase, epoch, globalStep: pos.globalStep, seed: o.seed }) : given;
        const bs = batch.xs.shape[0]!;
        let r: StepLoss;
        try {
          r = source ? await stepWith(source, batch) : await stepHere(batch, readEvery === 1);
        } finally {
          tf.dispose([...new Set([given.xs, given.ys, batch.xs, batch.ys])]);
        }
        const applied = typeof r.loss !== 'number';
        if (applied || Number.isFinite(r.loss)) args.afterUpdate?.();
        const { elapsedMs, etaMs } = clock.tick(totalSteps - (pos.globalStep + 1));
        pending.push({ epoch, step: pos.step, globalStep: pos.globalStep, bs, ...r, applied, elapsedMs, etaMs });
        const globalStep = pos.globalStep + 1;
        pos = { ...pos, step: pos.step + 1, globalStep, seen: pos.seen + bs };
        next = it.next(); // look ahead: is this the epoch's last step?
        const epochEnds = next.done === true;
        let stopped = false;
        try {
          const updates = solver !== null && (solver.dueAfterStep(globalStep) || (epochEnds && solver.dueAtEpochEnd));
          const read = readEvery === 1 || !applied || epochEnds || updates || globalStep % readEvery === 0 || (args.readAt?.(globalStep) ?? false);
          if (read) await settle();
          if (updates) {
            const record = await solver.update({ epoch, step: globalStep });
            await emit({ type: 'admm-update', record });
            if (solver.converged) {
              stopped = true;
              await emit({ type: 'early-stop', phase, epoch, primal: record.primal, dual: record.dual });
            }
          }
          if (epochEnds || stopped) {
            await finishEpoch(pos, t0);
            pos = { ...LOOP_START, epoch: epoch + 1, globalStep, stopped };
            t0 = performance.now();
          } else {
            pos = { ...pos, epochMs: pos.epochMs + (performance.now() - t0) };
            t0 = performance.now();
          }
          const done = pos.stopped || pos.epoch >= o.epochs;
          if (read && args.afterStep) await args.afterStep(pos, done);
        } catch (e) {
          if (!next.done) tf.dispose([next.value.xs, next.value.ys]); // the look-ahead batch
          throw e;
        }
        if (stopped) {
          if (!next.done) {
            tf.dispose([next.value.xs, next.value.ys]);
            it.return?.();
          }
          break;
        }
      }
    }
  } finally {
    for (const p of pending.splice(0)) tf.dispose([p.loss, p.correct].filter((v): v is tf.Tensor => typeof v !== 'number'));
    wd?.dispose();
    await source?.dispose();
  }
  return { position: pos, history };
}
