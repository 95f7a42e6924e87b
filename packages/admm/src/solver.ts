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
 * A layer whose plan id names a registered *regularizer* (core's `Regularizer`, e.g. the
 * reweighted group penalty of `@tensorslim/prune`) instead of a projector is pulled by that penalty
 * alone: its gradient gains c ⊙ W, where the coefficients c are re-estimated from the weight at
 * every update (the same schedule, every K steps or every epoch); it has no Z or U. Which kind a
 * layer gets is decided by what the id resolves to, never by its name.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerTarget, Projector, Regularizer } from '@tensorslim/core';
import type { DenseTensor } from '@tensorslim/linalg';
import { ErrorCodes, TensorslimError, fail } from '@tensorslim/core';
import type { AdmmUpdateRecord, LayerResidual } from './events.js';
import type { AdmmOptions } from './options.js';
import { resolveAdmmOptions } from './options.js';
import { rhoAfter } from './rho.js';

/** Resolves a format id to its projector (normally through the tsyringe container). */
export type ProjectorResolver = (formatId: string) => Projector;

/** Resolves a plan id to a regularizer, or `undefined` when none is registered under it (then the id names a projector). */
export type RegularizerResolver = (id: string) => Regularizer | undefined;

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
  /** The projector (ADMM layers), or null for a regularized layer. */
  readonly projector: Projector | null;
  /** The regularizer (penalty layers), or null for an ADMM layer. */
  readonly regularizer: Regularizer | null;
  readonly shape: readonly number[];
  /** ADMM: Z. Regularized: the weight at the last re-estimate (the coefficients are computed from it). */
  z: Float64Array;
  u: Float64Array;
  /** ADMM: Z − U as a float32 tensor. Regularized: the coefficients c. The only tensor the per-step term needs. */
  d: tf.Tensor | null;
  /** Regularized: the coefficients of the last re-estimate (float64). */
  c: Float64Array | null;
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
 * await solver.initialize();                    // Z₀ = Π(W), U₀ = 0
 * const grads = solver.augmentGradients(tf.variableGrads(loss, vars).grads); // g + ρ(W − Z + U)
 * optimizer.applyGradients(grads);
 * if (endOfEpoch) await solver.update({ epoch, step });  // Z = Π(W + U), U += W − Z, residuals
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
   * @param resolveRegularizer maps an id to a regularizer, if one is registered under it (tried first)
   */
  constructor(
    layers: readonly AdmmLayer[],
    options: Partial<AdmmOptions>,
    resolveProjector: ProjectorResolver,
    resolveRegularizer: RegularizerResolver = () => undefined,
  ) {
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
      const regularizer = resolveRegularizer(l.target.format) ?? null;
      return {
        name: l.name,
        target: l.target,
        variable: l.variable,
        projector: regularizer ? null : resolveProjector(l.target.format),
        regularizer,
        shape: [...shape],
        z: new Float64Array(n),
        u: new Float64Array(n),
        d: null,
        c: null,
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
  async initialize(): Promise<void> {
    const weights = await this.readWeights();
    for (const [k, s] of this.slots.entries()) {
      const w = Float64Array.from(weights[k]!);
      if (s.regularizer) {
        s.z = w;
        s.c = this.coefficients(s, w);
      } else s.z = this.project(s, w);
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
   * kernel: g + ρ·(W − D), D = Z − U precomputed at each update), or c ⊙ W for a regularized
   * kernel. Other entries pass through.
   * Call inside `tf.tidy`; returns a new map in the same key order.
   */
  augmentGradients(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    this.assertReady();
    const out: tf.NamedTensorMap = { ...grads };
    for (const s of this.slots) {
      const g = grads[s.variable.name];
      if (!g) continue; // not trained in this step
      out[s.variable.name] = s.regularizer ? tf.add(g, tf.mul(s.variable, s.d!)) : tf.add(g, tf.mul(tf.sub(s.variable, s.d!), this.rhoTensor!));
    }
    return out;
  }

  /**
   * The ADMM term as a loss: (ρ/2) Σ_i ‖W_i − Z_i + U_i‖²_F over the ADMM layers plus
   * ½ Σ_i c_i ⊙ W_i² over the regularized ones (differentiable in W). Its gradient is exactly what
   * {@link AdmmSolver.augmentGradients} adds.
   */
  penalty(): tf.Scalar {
    this.assertReady();
    return tf.tidy(() => {
      let sum: tf.Tensor = tf.scalar(0);
      let reg: tf.Tensor = tf.scalar(0);
      for (const s of this.slots) {
        if (s.regularizer) reg = tf.add(reg, tf.sum(tf.mul(s.d!, tf.square(s.variable))));
        else sum = tf.add(sum, tf.sum(tf.square(tf.sub(s.variable, s.d!))));
      }
      return tf.add(tf.mul(sum, this.rho_ / 2), tf.mul(reg, 0.5)) as tf.Scalar;
    });
  }

  /**
   * One Z/U update: Z = Π(W + U), U += W − Z for every layer; records the primal residual
   * ‖W − Z‖/‖W‖ and the dual residual ρ‖Z − Z_prev‖; then applies the ρ schedule (rescaling U by
   * ρ_old/ρ_new, as scaled-form ADMM requires when ρ changes). A regularized layer re-estimates
   * its coefficients from the current weight instead; its record has primal 0 and, as dual, the
   * relative change ‖c − c_prev‖/‖c‖ of the coefficients.
   */
  async update(at: { epoch: number; step: number }): Promise<AdmmUpdateRecord> {
    this.assertReady();
    const t0 = performance.now();
    const rho = this.rho_;
    const layers: LayerResidual[] = [];
    const weights = await this.readWeights();
    for (const [k, s] of this.slots.entries()) {
      const w = weights[k]!;
      const n = w.length;
      if (s.regularizer) {
        const prev = s.c!;
        s.z = Float64Array.from(w);
        s.c = this.coefficients(s, s.z);
        const cn = norm2(s.c);
        layers.push({ name: s.name, primal: 0, dual: norm2(s.c, prev) / (cn > 0 ? cn : 1) });
        continue;
      }
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
      for (const s of this.slots) if (!s.regularizer) for (let i = 0; i < s.u.length; i++) s.u[i] = s.u[i]! * f;
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

  /** Π(W) of every layer's current kernel (float64, kernel layout): what decomposition starts from (a regularized layer's W as it is). */
  async projectWeights(): Promise<Map<string, DenseTensor>> {
    const out = new Map<string, DenseTensor>();
    const weights = await this.readWeights();
    for (const [k, s] of this.slots.entries()) {
      const w = Float64Array.from(weights[k]!);
      out.set(s.name, { shape: [...s.shape], data: s.regularizer ? w : this.project(s, w) });
    }
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
      if (s.regularizer) s.c = this.coefficients(s, s.z);
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

  /** Every layer's kernel, read without blocking (all reads in flight at once). */
  private readWeights(): Promise<Float32Array[]> {
    return Promise.all(this.slots.map(async (s) => (await s.variable.data()) as Float32Array));
  }

  private assertReady(): void {
    if (!this.initialized) fail(ErrorCodes.OPTION, 'the ADMM solver is not initialized', 'call initialize() (or importState()) first');
  }

  private refreshTensors(): void {
    for (const s of this.slots) {
      s.d?.dispose();
      const d = new Float32Array(s.z.length);
      if (s.regularizer) d.set(s.c!);
      else for (let i = 0; i < d.length; i++) d[i] = s.z[i]! - s.u[i]!;
      s.d = tf.tensor(d, [...s.shape], 'float32');
    }
    this.rhoTensor?.dispose();
    this.rhoTensor = tf.scalar(this.rho_, 'float32');
  }

  /** The regularizer's coefficients at `w`, checked (the kernel's size, finite, ≥ 0). */
  private coefficients(s: LayerSlot, w: Float64Array): Float64Array {
    this.checkFinite(s, w);
    const c = this.guarded(s, () => s.regularizer!.coefficients({ shape: [...s.shape], data: w }, s.target));
    if (!c || c.data.length !== w.length) {
      fail(ErrorCodes.SHAPE, `the ${s.target.format} regularizer returned ${c?.data?.length} coefficients for layer "${s.name}" of ${w.length} weights`);
    }
    for (const v of c.data) {
      if (!(Number.isFinite(v) && v >= 0))
        fail(
          ErrorCodes.NON_FINITE,
          `the ${s.target.format} regularizer returned a coefficient ${v} for layer "${s.name}"`,
          'coefficients must be finite and ≥ 0',
        );
    }
    return Float64Array.from(c.data);
  }

  /** Runs a plugin call, prefixing its errors with the layer. */
  private guarded<T>(s: LayerSlot, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof TensorslimError) {
        throw new TensorslimError(
          e.code,
          `layer "${s.name}" (${s.target.format} ${s.regularizer ? 'regularizer' : 'projector'}): ${e.message}`,
          undefined,
          e.details,
        );
      }
      throw e;
    }
  }

  private checkFinite(s: LayerSlot, values: Float64Array): void {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        fail(
          ErrorCodes.DIVERGED,
          `layer "${s.name}": the weight handed to the ${s.target.format} ${s.regularizer ? 'regularizer' : 'projector'} contains ${Number.isNaN(values[i]!) ? 'NaN' : 'Inf'}`,
          'training diverged: lower the learning rate or rho and resume from the last checkpoint',
        );
      }
    }
  }

  private project(s: LayerSlot, values: Float64Array): Float64Array {
    this.checkFinite(s, values);
    const z: DenseTensor = this.guarded(s, () => s.projector!.project({ shape: [...s.shape], data: values }, s.target));
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
