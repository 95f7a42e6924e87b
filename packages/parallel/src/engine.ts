/**
 * Data-parallel training on several cores: the gradient engine.
 *
 * TF.js's wasm backend runs one thread in Node.js, so a training step uses one core. The engine
 * splits each batch among worker threads (node:worker_threads), each with its own TF.js backend
 * and a replica of the model, and combines what they return:
 *
 * - The caller keeps its model, optimizer, weight decay and ADMM term on the main thread. Each
 *   step, {@link GradientEngine.gradients} writes the model's current weights (all of them) into
 *   one SharedArrayBuffer that every worker reads, gives worker w rows [s_w, s_w + n_w) of the
 *   batch (contiguous shards; the first `n mod W` workers get one more), and each worker writes
 *   its loss gradient into its own SharedArrayBuffer.
 * - The main thread sums g = Σ_w (n_w / n) · g_w in worker order 0, 1, …, in float64, rounded
 *   once to float32. Every worker computes deterministically (one wasm thread, same inputs), so a
 *   run is bit-identical for a given worker count; a different count shards differently and
 *   rounds differently (float tolerance, not bits).
 * - The caller applies g to its model (e.g. `optimizer.applyGradients`), so every replica
 *   receives the same updated weights at the next step: there is one set of weights, never
 *   replicas drifting apart.
 * - Batch normalization: each worker normalizes its shard with the shard's own batch statistics
 *   (PyTorch's DistributedDataParallel without SyncBatchNorm does the same), so the gradients of a
 *   model with batch norm depend on the worker count. The moving statistics: each worker updates
 *   the broadcast values with its shard's statistics; the main thread sets the model's moving
 *   values to the shard-size-weighted mean of the workers' (worker order). With equal shards the
 *   moving mean is then the full batch's, and the moving variance the mean of the shard
 *   variances (it misses the spread between shard means). Non-trainable weights no worker
 *   changed are left untouched.
 * - One worker bypasses threads entirely ({@link InProcessEngine}): `tf.variableGrads` of the
 *   loss on the calling thread's backend, the same operations a single-process trainer runs, so
 *   its results are bit-equal to it.
 *
 * Using it from a trainer (the ADMM trainer's step, with `o`, `solver`, `optimizer` as there):
 *
 * ```ts
 * const engine = await startGradientEngine({
 *   model, workers: threads,
 *   loss: { module: '@tensorslim/admm', export: 'makeLoss', args: [o.loss, detectOutputKind(model), o.labelSmoothing] },
 *   preload: ['@tensorslim/decomp-tt'],              // modules whose import registers custom layers
 * });
 * for (const batch of batches) {
 *   const { loss, correct, grads } = await engine.gradients(batch.xs, batch.ys);
 *   let g = grads;                                   // + weight decay, + solver.augmentGradients(g)
 *   optimizer.applyGradients(g);
 *   tf.dispose(Object.values(grads));
 * }
 * await engine.dispose();
 * ```
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import { BATCH_DTYPES, packedLayout, shardSizes, typedView, workLayout, type BatchDtype, type PackedLayout, type WorkLayout } from './layout.js';
import { loadFunction, runnableRef, runnableSpecifier, workerLaunch } from './load.js';
import type { InitMessage, StepMessage, WorkerMessage, WorkerReply } from './protocol.js';
import type { GradientEngine, GradientEngineOptions, GradientStep, LossRef } from './types.js';

/** A loss function of labels and predictions, as `InProcessEngine.create` takes it in place of a {@link LossRef}. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** The variables behind `model.trainableWeights`, in order (what `tf.variableGrads` differentiates). */
function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function countCorrect(y: tf.Tensor, p: tf.Tensor): number | null {
  if (p.shape[p.shape.length - 1]! <= 1) return null;
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(y, -1)), 'float32')).dataSync()[0]!);
}

/**
 * One worker: the gradients on the calling thread, as a single-process trainer computes them
 * (`tf.variableGrads` of the loss of `model.apply(xs, {training: true})`).
 */
export class InProcessEngine implements GradientEngine {
  readonly workers = 1;
  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly loss: LossFn,
    private readonly count: boolean,
  ) {}

  /** An engine for `model` with the loss `loss` (a reference, or the function itself). */
  static async create(model: tfl.LayersModel, loss: LossRef | LossFn, countCorrect = true): Promise<InProcessEngine> {
    const fn = typeof loss === 'function' ? loss : ((await loadFunction(runnableRef(loss))) as LossFn);
    return new InProcessEngine(model, fn, countCorrect);
  }

  async gradients(xs: tf.Tensor, ys: tf.Tensor): Promise<GradientStep> {
    let loss = NaN;
    let correct: number | null = null;
    const grads = tf.tidy(() => {
      let pred: tf.Tensor | null = null;
      const { value, grads: g } = tf.variableGrads(() => {
        const p = this.model.apply(xs, { training: true }) as tf.Tensor;
        pred = tf.keep(p);
        return this.loss(ys, p);
      }, trainableVariables(this.model));
      loss = value.dataSync()[0]!;
      const p = pred as tf.Tensor | null;
      if (this.count && p) correct = countCorrect(ys, p);
      p?.dispose();
      return g;
    });
    return { loss, correct, grads, shards: [], workerMs: [] };
  }

  async dispose(): Promise<void> {}
}

/** A worker thread and its buffer. */
interface Slot {
  readonly worker: Worker;
  work: SharedArrayBuffer | null;
  layout: WorkLayout | null;
  /** Resolvers of the reply awaited. */
  pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | null;
  failed: Error | null;
}

/** Several workers (see the module comment). Start it with {@link startGradientEngine}. */
export class WorkerEngine implements GradientEngine {
  private disposed = false;
  private readonly weights: PackedLayout;
  private readonly trainable: number[];
  private readonly nonTrainable: number[];
  private readonly gradLayout: PackedLayout;
  private readonly stateLayout: PackedLayout;
  private readonly broadcast: SharedArrayBuffer;

  private constructor(
    private readonly model: tfl.LayersModel,
    private readonly slots: Slot[],
    private readonly count: boolean,
  ) {
    const shapes = model.weights.map((w) => w.shape as number[]);
    this.weights = packedLayout(shapes);
    const trainableSet = new Set(model.trainableWeights);
    this.trainable = [];
    this.nonTrainable = [];
    model.weights.forEach((w, i) => (trainableSet.has(w) ? this.trainable : this.nonTrainable).push(i));
    this.gradLayout = packedLayout(this.trainable.map((i) => shapes[i]!));
    this.stateLayout = packedLayout(this.nonTrainable.map((i) => shapes[i]!));
    this.broadcast = new SharedArrayBuffer(Math.max(4, this.weights.total * 4));
  }

  get workers(): number {
    return this.slots.length;
  }

  /** Starts `opts.workers` workers and builds a replica in each (resolves when all are ready). */
  static async start(opts: GradientEngineOptions): Promise<WorkerEngine> {
    for (const w of opts.model.weights) {
      if (w.dtype !== 'float32') fail(ErrorCodes.MODEL, `weight ${w.name} is ${w.dtype}; the parallel engine exchanges float32 weights`, 'use a float32 model');
    }
    const launch = opts.workerUrl ? { url: opts.workerUrl, execArgv: [] } : workerLaunch('worker');
    const loss = runnableRef(opts.loss);
    const preload = (opts.preload ?? []).map(runnableSpecifier);
    const slots: Slot[] = [];
    for (let i = 0; i < opts.workers; i++) {
      const slot: Slot = { worker: new Worker(launch.url, { execArgv: [...launch.execArgv] }), work: null, layout: null, pending: null, failed: null };
      slot.worker.on('message', (r: WorkerReply) => {
        const p = slot.pending;
        slot.pending = null;
        if (!p) return;
        if (r.type === 'error') p.reject(new Error(`worker ${i}: ${r.message}`));
        else p.resolve(r);
      });
      const die = (e: Error) => {
        slot.failed = e;
        const p = slot.pending;
        slot.pending = null;
        p?.reject(e);
      };
      slot.worker.on('error', (e) => die(new Error(`worker ${i} failed: ${e.message}`)));
      slot.worker.on('exit', (code) => die(new Error(`worker ${i} exited (code ${code})`)));
      slots.push(slot);
    }
    const engine = new WorkerEngine(opts.model, slots, opts.countCorrect ?? true);
    try {
      const topology = opts.model.toJSON(null, false);
      await Promise.all(
        slots.map((s, index) =>
          engine.request(s, {
            type: 'init',
            index,
            backend: opts.backend ?? 'wasm',
            topology,
            weights: engine.broadcast,
            weightShapes: engine.weights.shapes,
            trainable: engine.trainable,
            nonTrainable: engine.nonTrainable,
            preload,
            loss,
            countCorrect: engine.count,
          } satisfies InitMessage),
        ),
      );
    } catch (e) {
      await engine.dispose();
      fail(
        ErrorCodes.BACKEND,
        `the parallel engine's workers did not start: ${(e as Error).message}`,
        'check the loss and preload module references; run with workers: 1 to train in process',
      );
    }
    return engine;
  }

  private request(slot: Slot, m: WorkerMessage): Promise<WorkerReply> {
    if (slot.failed) return Promise.reject(slot.failed);
    return new Promise((resolve, reject) => {
      slot.pending = { resolve, reject };
      slot.worker.postMessage(m);
    });
  }

  async gradients(xs: tf.Tensor, ys: tf.Tensor): Promise<GradientStep> {
    if (this.disposed) fail(ErrorCodes.OPTION, 'the parallel engine was disposed', 'start a new one');
    if (this.slots.some((s) => s.pending))
      fail(ErrorCodes.OPTION, 'a step of the parallel engine is still running', 'await each gradients() call before the next');
    const n = xs.shape[0]!;
    if (ys.shape[0] !== n) fail(ErrorCodes.SHAPE, `inputs have ${n} examples, targets ${ys.shape[0]}`);
    const xDtype = batchDtype(xs);
    const yDtype = batchDtype(ys);
    const xShape = xs.shape.slice(1);
    const yShape = ys.shape.slice(1);
    const xRow = xShape.reduce((a, b) => a * b, 1);
    const yRow = yShape.reduce((a, b) => a * b, 1);
    // the weights, broadcast
    const all = new Float32Array(this.broadcast);
    this.model.weights.forEach((w, i) => all.set(w.read().dataSync() as Float32Array, this.weights.offsets[i]!));
    const xData = xs.dataSync() as Float32Array | Int32Array;
    const yData = ys.dataSync() as Float32Array | Int32Array;
    const shards = shardSizes(n, this.slots.length);
    const replies: Promise<WorkerReply>[] = [];
    let row = 0;
    shards.forEach((rows, w) => {
      const slot = this.slots[w]!;
      if (rows === 0) return;
      const xRowBytes = xRow * BATCH_DTYPES[xDtype];
      const yRowBytes = yRow * BATCH_DTYPES[yDtype];
      let fresh: SharedArrayBuffer | undefined;
      const had = slot.layout;
      if (!had || !slot.work || had.rows < rows || had.xRowBytes !== xRowBytes || had.yRowBytes !== yRowBytes) {
        // room for this shard and some growth; reallocated only when a shard does not fit
        slot.layout = workLayout(this.gradLayout.total, this.stateLayout.total, Math.ceil(rows * 1.25), xRowBytes, yRowBytes);
        fresh = slot.work = new SharedArrayBuffer(slot.layout.bytes);
      }
      const layout = slot.layout!;
      const work = slot.work!;
      typedView(work, layout.x, rows * xRow, xDtype).set(xData.subarray(row * xRow, (row + rows) * xRow));
      typedView(work, layout.y, rows * yRow, yDtype).set(yData.subarray(row * yRow, (row + rows) * yRow));
      row += rows;
      replies.push(this.request(slot, { type: 'step', ...(fresh ? { work: fresh } : {}), layout, rows, xShape, xDtype, yShape, yDtype } satisfies StepMessage));
    });
    let results: Extract<WorkerReply, { type: 'done' }>[];
    try {
      results = (await Promise.all(replies)) as Extract<WorkerReply, { type: 'done' }>[];
    } catch (e) {
      return fail(
        ErrorCodes.BACKEND,
        `a worker of the parallel engine failed during a step: ${(e as Error).message}`,
        'dispose the engine; run with workers: 1 to see the error in process',
      );
    }
    const active = shards.map((r, w) => ({ r, w })).filter((s) => s.r > 0);
    // Σ_w (n_w / n) · g_w in worker order, in float64
    const acc = new Float64Array(this.gradLayout.total);
    let loss = 0;
    let correct: number | null = this.count ? 0 : null;
    active.forEach(({ r, w }, k) => {
      const f = r / n;
      const g = new Float32Array(this.slots[w]!.work!, this.slots[w]!.layout!.grads, this.gradLayout.total);
      for (let i = 0; i < acc.length; i++) acc[i] += f * g[i]!;
      loss += f * results[k]!.loss;
      const c = results[k]!.correct;
      correct = correct === null || c === null ? null : correct + c;
    });
    const grads: tf.NamedTensorMap = {};
    const names = this.trainable.map((i) => (this.model.weights[i]!.read() as tf.Variable).name);
    this.trainable.forEach((_, j) => {
      const o = this.gradLayout.offsets[j]!;
      grads[names[j]!] = tf.tensor(Float32Array.from(acc.subarray(o, o + this.gradLayout.sizes[j]!)), this.gradLayout.shapes[j] as number[], 'float32');
    });
    this.mergeState(active.map(({ r, w }) => ({ f: r / n, slot: this.slots[w]! })));
    return { loss, correct, grads, shards, workerMs: results.map((r) => r.ms) };
  }

  /** Sets the model's non-trainable weights to the weighted mean of the workers' (those some worker changed). */
  private mergeState(parts: { f: number; slot: Slot }[]): void {
    if (this.stateLayout.total === 0) return;
    const all = new Float32Array(this.broadcast);
    const views = parts.map((p) => new Float32Array(p.slot.work!, p.slot.layout!.state, this.stateLayout.total));
    this.nonTrainable.forEach((wi, j) => {
      const o = this.stateLayout.offsets[j]!;
      const size = this.stateLayout.sizes[j]!;
      const before = all.subarray(this.weights.offsets[wi]!, this.weights.offsets[wi]! + size);
      if (views.every((v) => v.subarray(o, o + size).every((x, i) => Object.is(x, before[i])))) return;
      const mean = new Float64Array(size);
      parts.forEach((p, k) => {
        const v = views[k]!;
        for (let i = 0; i < size; i++) mean[i] += p.f * v[o + i]!;
      });
      const w = this.model.weights[wi]!;
      tf.tidy(() => {
        w.write(tf.tensor(Float32Array.from(mean), w.shape as number[], 'float32'));
      });
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        s.pending = null;
        s.failed ??= new Error('the engine was disposed');
        await s.worker.terminate();
      }),
    );
  }
}

function batchDtype(t: tf.Tensor): BatchDtype {
  if (t.dtype === 'float32' || t.dtype === 'int32') return t.dtype;
  return fail(ErrorCodes.DATA, `a batch tensor is ${t.dtype}; the parallel engine takes float32 or int32`, 'cast it first');
}

/**
 * The gradient engine for `opts.workers`: {@link InProcessEngine} for 1 (or less), else
 * {@link WorkerEngine} with that many worker threads.
 */
export async function startGradientEngine(opts: GradientEngineOptions): Promise<GradientEngine> {
  if (!Number.isInteger(opts.workers)) fail(ErrorCodes.OPTION, `workers ${opts.workers} must be an integer`);
  if (opts.workers <= 1) return InProcessEngine.create(opts.model, opts.loss, opts.countCorrect ?? true);
  return WorkerEngine.start(opts);
}
