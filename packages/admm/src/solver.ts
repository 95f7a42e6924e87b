/**
 * The ADMM solver of Yin et al. (CVPR 2021), generic over the constraint set: it receives one
 * projector per compressed layer (resolved by the plan's format id) and never names a format.
 *
 * Scaled-form ADMM for  min loss(W)  s.t.  W_i ∈ S_i:
 * - W-step: SGD on loss(W) + Σ_i (ρ/2)‖W_i − Z_i + U_i‖²_F — implemented by adding
 *   ρ(W_i − Z_i + U_i) to each compressed weight's gradient ({@link AdmmSolver.augmentGradients});
 *   {@link AdmmSolver.penalty} gives the same term as a loss (the tests prove both agree);
 * - Z-step: Z_i = Π_i(W_i + U_i);
 * - U-step: U_i = U_i + W_i − Z_i.
 *
 * Z₀ = Π(W), U₀ = 0 (as the reference code). Defaults are the paper's: ρ = 1e-3 constant, one
 * Z/U update per epoch.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerTarget, Projector } from '@tensorslim/core';
import type { DenseTensor } from '@tensorslim/linalg';
import { ErrorCodes, TensorslimError, fail } from '@tensorslim/core';
import type { AdmmUpdateRecord, LayerResidual } from './events.js';
import type { AdmmOptions } from './options.js';
import { resolveAdmmOptions } from './options.js';
import { rhoAfter } from './rho.js';

/** Resolves a format id to its projector (normally through the tsyringe container). */
export type ProjectorResolver = (formatId: string) => Projector;

/** A compressed layer as the solver sees it: its plan target and its kernel variable. */
export interface AdmmLayer {
  /** Layer name (the plan's key). */
  readonly name: string;
  /** The plan entry bound to the layer (format id, layout, ranks, options). */
  readonly target: LayerTarget;
  /** The trainable kernel, in TF.js layout (shape = `target.layout.kernelShape`). */
  readonly variable: tf.Variable;
}

/** Z and U of one layer (float64, kernel layout, row-major). */
export interface AdmmLayerState {
  /** Layer name. */
  readonly name: string;
  /** Z. */
  readonly z: Float64Array;
  /** U (scaled dual variable). */
  readonly u: Float64Array;
}

/** The solver's state, for checkpoints: ρ, the update count, the history and Z, U per layer. */
export interface AdmmSolverState {
  /** Current ρ. */
  readonly rho: number;
  /** Z/U updates done. */
  readonly updates: number;
  /** Every update's residuals. */
  readonly history: readonly AdmmUpdateRecord[];
  /** Z and U per layer. */
  readonly layers: readonly AdmmLayerState[];
}

interface LayerSlot {
  readonly name: string;
  readonly target: LayerTarget;
  readonly variable: tf.Variable;
  readonly projector: Projector;
  readonly shape: readonly number[];
  z: Float64Array;
  u: Float64Array;
  /** Z − U as a float32 tensor, the only tensor the per-step term needs. */
  d: tf.Tensor | null;
}

function norm2(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  if (b) {
    for (let i = 0; i < a.length; i++) {
      const d = a[i]! - b[i]!;
      s += d * d;
    }
  } else {
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  }
  return Math.sqrt(s);
}

/**
 * The ADMM solver. Build it through the container ({@link createAdmmSolver}) so that projectors
 * come from the registry, or directly with a {@link ProjectorResolver}.
 *
 * Usage inside a training step (what the training loop of this package does):
 * ```ts
 * solver.initialize();                          // Z₀ = Π(W), U₀ = 0
 * const grads = solver.augmentGradients(tf.variableGrads(loss, vars).grads); // g + ρ(W − Z + U)
 * optimizer.applyGradients(grads);
 * if (endOfEpoch) solver.update({ epoch, step });  // Z = Π(W + U), U += W − Z, residuals
 * ```
 */
export class AdmmSolver {
  /** The validated options. */
  readonly options: AdmmOptions;
  private readonly slots: LayerSlot[];
  private rho_: number;
  private updates_ = 0;
  private readonly history_: AdmmUpdateRecord[] = [];
  private rhoTensor: tf.Scalar | null = null;
  private initialized = false;

  /**
   * @param layers the compressed layers (names unique, kernels matching their targets' shapes)
   * @param options solver options (defaults: the paper's, see {@link ADMM_DEFAULTS})
   * @param resolveProjector maps a format id to its projector (throws for an unknown id)
   */
  constructor(layers: readonly AdmmLayer[], options: Partial<AdmmOptions>, resolveProjector: ProjectorResolver) {
    this.options = resolveAdmmOptions(options);
    this.rho_ = this.options.rho;
    const seen = new Set<string>();
    if (layers.length === 0) fail(ErrorCodes.PLAN, 'ADMM needs at least one compressed layer', 'add a layer to the plan');
    this.slots = layers.map((l) => {
      if (seen.has(l.name)) fail(ErrorCodes.PLAN, `layer "${l.name}" appears twice among the ADMM layers`);
      seen.add(l.name);
      const shape = l.variable.shape;
      const want = l.target.layout.kernelShape;
      if (shape.length !== want.length || shape.some((s, i) => s !== want[i])) {
        fail(ErrorCodes.SHAPE, `layer "${l.name}": kernel [${shape.join(', ')}] differs from the plan's layout [${want.join(', ')}]`);
      }
      const n = l.variable.size;
      return {
        name: l.name,
        target: l.target,
        variable: l.variable,
        projector: resolveProjector(l.target.format),
        shape: [...shape],
        z: new Float64Array(n),
        u: new Float64Array(n),
        d: null,
      };
    });
  }

  /** Names of the compressed layers, in order. */
  get layerNames(): string[] {
    return this.slots.map((s) => s.name);
  }

  /** Names of the kernel variables the solver augments, in layer order. */
  get variableNames(): string[] {
    return this.slots.map((s) => s.variable.name);
  }

  /** Current ρ. */
  get rho(): number {
    return this.rho_;
  }

  /** Z/U updates done so far. */
  get updates(): number {
    return this.updates_;
  }

  /** Residuals of every update so far. */
  get history(): readonly AdmmUpdateRecord[] {
    return this.history_;
  }

  /** True when tolerances are set and the last update's residuals are all below them. */
  get converged(): boolean {
    const { primalTol, dualTol } = this.options;
    const last = this.history_[this.history_.length - 1];
    if (primalTol === null || dualTol === null || !last) return false;
    return last.primal < primalTol && last.dual < dualTol;
  }

  /** Whether a Z/U update is due after `stepsDone` steps of the phase (step-based schedule). */
  dueAfterStep(stepsDone: number): boolean {
    const e = this.options.updateEvery;
    return e !== 'epoch' && stepsDone > 0 && stepsDone % e === 0;
  }

  /** Whether a Z/U update is due at the end of each epoch (the paper's schedule). */
  get dueAtEpochEnd(): boolean {
    return this.options.updateEvery === 'epoch';
  }

  /** Z₀ = Π(W), U₀ = 0 (the reference code's start). Projects every layer once. */
  initialize(): void {
    for (const s of this.slots) {
      s.z = this.project(s, Float64Array.from(s.variable.dataSync()));
      s.u = new Float64Array(s.z.length);
    }
    this.updates_ = 0;
    this.history_.length = 0;
    this.rho_ = this.options.rho;
    this.refreshTensors();
    this.initialized = true;
  }

  /**
   * Adds ρ(W − Z + U) to the gradient of each compressed kernel (one elementwise expression per
   * kernel: g + ρ·(W − D), D = Z − U precomputed at each update). Other entries pass through.
   * Call inside `tf.tidy`; returns a new map in the same key order.
   */
  augmentGradients(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    this.assertReady();
    const out: tf.NamedTensorMap = { ...grads };
    for (const s of this.slots) {
      const g = grads[s.variable.name];
      if (!g) continue; // not trained in this step
      out[s.variable.name] = tf.add(g, tf.mul(tf.sub(s.variable, s.d!), this.rhoTensor!));
    }
    return out;
  }

  /**
   * The ADMM term as a loss: (ρ/2) Σ_i ‖W_i − Z_i + U_i‖²_F (differentiable in W). Its gradient
   * is exactly what {@link AdmmSolver.augmentGradients} adds.
   */
  penalty(): tf.Scalar {
    this.assertReady();
    return tf.tidy(() => {
      let sum: tf.Tensor = tf.scalar(0);
      for (const s of this.slots) sum = tf.add(sum, tf.sum(tf.square(tf.sub(s.variable, s.d!))));
      return tf.mul(sum, this.rho_ / 2) as tf.Scalar;
    });
  }

  /**
   * One Z/U update: Z = Π(W + U), U += W − Z for every layer; records the primal residual
   * ‖W − Z‖/‖W‖ and the dual residual ρ‖Z − Z_prev‖; then applies the ρ schedule (rescaling U by
   * ρ_old/ρ_new, as scaled-form ADMM requires when ρ changes).
   */
  update(at: { epoch: number; step: number }): AdmmUpdateRecord {
    this.assertReady();
    const t0 = performance.now();
    const rho = this.rho_;
    const layers: LayerResidual[] = [];
    for (const s of this.slots) {
      const w = s.variable.dataSync();
      const n = w.length;
      const wu = new Float64Array(n);
      for (let i = 0; i < n; i++) wu[i] = w[i]! + s.u[i]!;
      const z = this.project(s, wu);
      const wn = norm2(w);
      const primal = norm2(w, z) / (wn > 0 ? wn : 1);
      const dual = rho * norm2(z, s.z);
      for (let i = 0; i < n; i++) s.u[i] = s.u[i]! + w[i]! - z[i]!;
      s.z = z;
      layers.push({ name: s.name, primal, dual });
    }
    this.updates_++;
    const nextRho = rhoAfter(this.options.rho, this.options.rhoSchedule, this.updates_);
    if (nextRho !== rho) {
      const f = rho / nextRho;
      for (const s of this.slots) for (let i = 0; i < s.u.length; i++) s.u[i] = s.u[i]! * f;
      this.rho_ = nextRho;
    }
    this.refreshTensors();
    const record: AdmmUpdateRecord = {
      update: this.updates_,
      step: at.step,
      epoch: at.epoch,
      rho,
      nextRho,
      primal: Math.max(...layers.map((l) => l.primal)),
      dual: Math.max(...layers.map((l) => l.dual)),
      layers,
      ms: performance.now() - t0,
    };
    this.history_.push(record);
    return record;
  }

  /** Π(W) of every layer's current kernel (float64, kernel layout): what decomposition starts from. */
  projectWeights(): Map<string, DenseTensor> {
    const out = new Map<string, DenseTensor>();
    for (const s of this.slots) out.set(s.name, { shape: [...s.shape], data: this.project(s, Float64Array.from(s.variable.dataSync())) });
    return out;
  }

  /** Current Z of a layer (a copy). */
  getZ(name: string): DenseTensor {
    const s = this.slot(name);
    return { shape: [...s.shape], data: s.z.slice() };
  }

  /** Current U of a layer (a copy). */
  getU(name: string): DenseTensor {
    const s = this.slot(name);
    return { shape: [...s.shape], data: s.u.slice() };
  }

  /** The state to checkpoint (copies). */
  exportState(): AdmmSolverState {
    this.assertReady();
    return {
      rho: this.rho_,
      updates: this.updates_,
      history: this.history_.map((h) => ({ ...h, layers: h.layers.map((l) => ({ ...l })) })),
      layers: this.slots.map((s) => ({ name: s.name, z: s.z.slice(), u: s.u.slice() })),
    };
  }

  /** Restores {@link AdmmSolver.exportState}'s output (instead of {@link AdmmSolver.initialize}). */
  importState(state: AdmmSolverState): void {
    const byName = new Map(state.layers.map((l) => [l.name, l]));
    for (const s of this.slots) {
      const l = byName.get(s.name);
      if (!l) fail(ErrorCodes.CHECKPOINT, `the saved ADMM state has no layer "${s.name}"`, 'resume with the plan the run started with');
      if (l.z.length !== s.z.length || l.u.length !== s.u.length) {
        fail(ErrorCodes.CHECKPOINT, `the saved ADMM state of layer "${s.name}" has ${l.z.length} entries, the kernel ${s.z.length}`);
      }
      s.z = Float64Array.from(l.z);
      s.u = Float64Array.from(l.u);
    }
    this.rho_ = state.rho;
    this.updates_ = state.updates;
    this.history_.length = 0;
    this.history_.push(...state.history);
    this.refreshTensors();
    this.initialized = true;
  }

  /** Frees the solver's tensors. */
  dispose(): void {
    for (const s of this.slots) {
      s.d?.dispose();
      s.d = null;
    }
    this.rhoTensor?.dispose();
    this.rhoTensor = null;
    this.initialized = false;
  }

  private slot(name: string): LayerSlot {
    const s = this.slots.find((x) => x.name === name);
    if (!s) fail(ErrorCodes.UNKNOWN_NAME, `no ADMM layer "${name}"`, `ADMM layers: ${this.layerNames.join(', ')}`);
    return s;
  }

  private assertReady(): void {
    if (!this.initialized) fail(ErrorCodes.OPTION, 'the ADMM solver is not initialized', 'call initialize() (or importState()) first');
  }

  private refreshTensors(): void {
    for (const s of this.slots) {
      s.d?.dispose();
      const d = new Float32Array(s.z.length);
      for (let i = 0; i < d.length; i++) d[i] = s.z[i]! - s.u[i]!;
      s.d = tf.tensor(d, [...s.shape], 'float32');
    }
    this.rhoTensor?.dispose();
    this.rhoTensor = tf.scalar(this.rho_, 'float32');
  }

  private project(s: LayerSlot, values: Float64Array): Float64Array {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        fail(
          ErrorCodes.DIVERGED,
          `layer "${s.name}": the weight handed to the ${s.target.format} projector contains ${Number.isNaN(values[i]!) ? 'NaN' : 'Inf'}`,
          'training diverged: lower the learning rate or rho and resume from the last checkpoint',
        );
      }
    }
    let z: DenseTensor;
    try {
      z = s.projector.project({ shape: [...s.shape], data: values }, s.target);
    } catch (e) {
      if (e instanceof TensorslimError) {
        throw new TensorslimError(e.code, `layer "${s.name}" (${s.target.format} projector): ${e.message}`, undefined, e.details);
      }
      throw e;
    }
    if (!z || z.data.length !== values.length || z.shape.length !== s.shape.length || z.shape.some((v, i) => v !== s.shape[i])) {
      fail(
        ErrorCodes.SHAPE,
        `the ${s.target.format} projector returned shape [${z?.shape?.join(', ')}] for layer "${s.name}" of kernel shape [${s.shape.join(', ')}]`,
        'a projector must return a tensor of the shape it was given (the TF.js kernel layout)',
      );
    }
    for (let i = 0; i < z.data.length; i++) {
      if (!Number.isFinite(z.data[i]!)) fail(ErrorCodes.NON_FINITE, `the ${s.target.format} projector returned a non-finite value for layer "${s.name}"`);
    }
    return Float64Array.from(z.data);
  }
}
