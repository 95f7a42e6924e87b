/**
 * ATD, augmented tensor decomposition (Yang et al., NeurIPS 2022), on an N × I × J data tensor
 * (samples × features × time): a rank-R CP model X ≈ [[A; B, C]] fitted by stochastic
 * alternating optimization of {@link atdObjective}; and the {@link atdDecomposition} object that
 * wraps it for the plugin (reconstruction and parameter count are CP's: an ATD model is a CP model).
 *
 * - Start: B, C from CP-ALS of the whole tensor (`@tensorslim/decomp-cp`'s cpAls; the
 *   column norms λ split evenly between B and C), or random (`init: 'random'`).
 * - Each epoch visits the samples in a fresh random order, in mini-batches. For a batch, two views
 *   of each sample are drawn with the chosen augmentations; the A-step is the closed-form least
 *   squares of the batch rows (inside the objective); then B takes an Adam step with C fixed, and
 *   C takes one with the new B fixed.
 * - After each epoch the columns of B and C are rebalanced (‖b_r‖ = ‖c_r‖), which leaves the
 *   objective unchanged and keeps the scales from drifting apart.
 * - At the end A holds the least-squares representations of all N samples.
 *
 * `epochs: 0` returns the CP-ALS start itself in the same layout: the plain CP-ALS baseline.
 *
 * @module
 */
import { cpAls, cpParamCount, cpReconstruct, type CpAlsOptions } from '@tensorslim/decomp-cp';
import { ErrorCodes, fail, type DecomposeOptions, type Decomposition, type Factors } from '@tensorslim/core';
import { Rng, type DenseTensor, type Matrix } from '@tensorslim/linalg';
import { augmentSample, resolveAugmentations, type AugmentParams } from './augment.js';
import { atdObjective, leastSquaresRepresentations, type AtdObjectiveOptions } from './objective.js';
import { ATD_RANK_CONVENTION, resolveAtdRanks, validateDataTensor } from './ranks.js';

/** Options of {@link atd} (also the `decompose` options of the `atd` format). */
export interface AtdOptions extends DecomposeOptions, AtdObjectiveOptions, AugmentParams {
  /** Augmentation ids (see {@link resolveAugmentations}); default `['jitter', 'scale']`. */
  readonly augment?: readonly string[];
  /** Passes over the samples (default 10; 0 returns the CP-ALS start). */
  readonly epochs?: number;
  /** Samples per mini-batch (default 128). */
  readonly batchSize?: number;
  /** Adam learning rate (default 1e-2). */
  readonly learningRate?: number;
  /**
   * Start from CP-ALS (`'cp'`, default), from seeded random factors, or from earlier `atd`
   * factors (their B and C; e.g. a CP-ALS baseline fitted with `epochs: 0`).
   */
  readonly init?: 'cp' | 'random' | Factors;
  /** CP-ALS sweeps of the start (default 30). */
  readonly cpSweeps?: number;
  /** Seed of the views, batch order and random start (default 1). */
  readonly seed?: number;
  /** Called after every epoch with the mean batch terms. */
  readonly onEpoch?: (e: AtdEpoch) => void;
}

/** The mean batch objective terms of one epoch. */
export interface AtdEpoch {
  /** 1-based epoch. */
  readonly epoch: number;
  /** Mean relative reconstruction term. */
  readonly reconstruction: number;
  /** Mean self-supervised term. */
  readonly selfSupervised: number;
}

/** What ATD records in {@link Factors.meta}. */
export interface AtdMeta {
  /** Epochs run. */
  readonly epochs: number;
  /** Augmentations used. */
  readonly augment: string[];
  /** Per-epoch terms. */
  readonly history: AtdEpoch[];
  /** The start used. */
  readonly init: 'cp' | 'random' | 'given';
  /** Ridge ε of the representations. */
  readonly ridge: number;
}

function intOption(v: unknown, name: string, dflt: number, min: number): number {
  const n = v ?? dflt;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) fail(ErrorCodes.OPTION, `atd: ${name} ${String(n)} must be an integer ≥ ${min}`);
  return n;
}

/** Scales column r of B and C to the same norm, keeping every product b_r ∘ c_r. */
function rebalance(b: Matrix, c: Matrix): void {
  const R = b.cols;
  for (let r = 0; r < R; r++) {
    let nb = 0;
    let nc = 0;
    for (let i = 0; i < b.rows; i++) nb += b.data[i * R + r]! ** 2;
    for (let j = 0; j < c.rows; j++) nc += c.data[j * R + r]! ** 2;
    if (!(nb > 0) || !(nc > 0)) continue;
    const f = Math.sqrt(Math.sqrt(nc / nb)); // b·f, c/f: both become (nb·nc)^{1/4}
    for (let i = 0; i < b.rows; i++) b.data[i * R + r]! *= f;
    for (let j = 0; j < c.rows; j++) c.data[j * R + r]! /= f;
  }
}

/** Adam state of one parameter matrix. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(
    n: number,
    private readonly lr: number,
  ) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  step(p: Float64Array, g: Float64Array): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < p.length; i++) {
      this.m[i] = b1 * this.m[i]! + (1 - b1) * g[i]!;
      this.v[i] = b2 * this.v[i]! + (1 - b2) * g[i]! * g[i]!;
      p[i]! -= (this.lr * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + 1e-8);
    }
  }
}

/** The starting B and C: CP-ALS's factor matrices times √λ, or seeded random ones. */
function start(x: DenseTensor, R: number, o: AtdOptions, rng: Rng): { b: Matrix; c: Matrix; init: AtdMeta['init'] } {
  const [, I, J] = x.shape as [number, number, number];
  const init = o.init ?? 'cp';
  if (typeof init === 'object') {
    const [, b, c] = init.cores ?? [];
    if (init.format !== 'atd' || !b || !c || b.shape.join() !== `${I},${R}` || c.shape.join() !== `${J},${R}`) {
      fail(
        ErrorCodes.SHAPE,
        `atd: init factors must be atd factors with B ${I}×${R} and C ${J}×${R}`,
        'pass the result of atd() on data of the same sample shape and rank',
      );
    }
    return { b: { rows: I, cols: R, data: Float64Array.from(b.data) }, c: { rows: J, cols: R, data: Float64Array.from(c.data) }, init: 'given' };
  }
  if (init === 'random') {
    const s = Math.sqrt(1 / Math.sqrt(I * J));
    return {
      b: { rows: I, cols: R, data: rng.normalArray(I * R).map((v) => v * s) },
      c: { rows: J, cols: R, data: rng.normalArray(J * R).map((v) => v * s) },
      init,
    };
  }
  if (init !== 'cp') fail(ErrorCodes.OPTION, `atd: init ${JSON.stringify(init)} is not 'cp' or 'random'`);
  const f = cpAls(x, { ranks: [R] }, { sweeps: intOption(o.cpSweeps, 'cpSweeps', 30, 1), tol: 1e-6, ...(o.svd ? { svd: o.svd } : {}), rng });
  const lam = f.cores[3]!.data;
  const Rf = f.ranks[0]!;
  const scaled = (k: number, n: number): Matrix => {
    const d = new Float64Array(n * R);
    for (let i = 0; i < n; i++) for (let r = 0; r < Rf; r++) d[i * R + r] = f.cores[k]!.data[i * Rf + r]! * Math.sqrt(lam[r]!);
    return { rows: n, cols: R, data: d };
  };
  return { b: scaled(1, I), c: scaled(2, J), init };
}

/**
 * ATD of an N × I × J data tensor at CP rank R: returns `{ format: 'atd', shape, ranks: [R],
 * cores: [A (N × R), B (I × R), C (J × R)] }` with A the least-squares representations of the
 * samples, and {@link AtdMeta} in `meta`.
 */
export function atd(x: DenseTensor, rank: number, opts: AtdOptions = {}): Factors {
  validateDataTensor(x.shape);
  const [N, I, J] = x.shape as [number, number, number];
  const R = intOption(rank, 'rank', 1, 1);
  if (R > I * J) fail(ErrorCodes.RANK, `atd: rank ${R} exceeds I·J = ${I * J}, the most independent atoms a ${I}×${J} sample has`, `use a rank ≤ ${I * J}`);
  const epochs = intOption(opts.epochs, 'epochs', 10, 0);
  const batchSize = intOption(opts.batchSize, 'batchSize', 128, 2);
  const lr = opts.learningRate ?? 1e-2;
  if (!(lr > 0)) fail(ErrorCodes.OPTION, `atd: learningRate ${String(lr)} must be > 0`);
  const ridge = opts.ridge ?? 1e-6;
  const augmentIds = [...(opts.augment ?? ['jitter', 'scale'])];
  const augs = resolveAugmentations(augmentIds);
  const rng = opts.rng ?? new Rng(intOption(opts.seed, 'seed', 1, 0));
  const { b, c, init } = start(x, R, opts, rng);
  const objOpts: AtdObjectiveOptions = { alpha: opts.alpha ?? 1, temperature: opts.temperature ?? 0.5, ridge };
  const adamB = new Adam(b.data.length, lr);
  const adamC = new Adam(c.data.length, lr);
  const size = I * J;
  const order = Int32Array.from({ length: N }, (_, i) => i);
  const history: AtdEpoch[] = [];
  for (let e = 1; e <= epochs; e++) {
    rng.shuffle(order);
    let rec = 0;
    let ssl = 0;
    let batches = 0;
    for (let s = 0; s + 1 < N; s += batchSize) {
      const M = Math.min(batchSize, N - s);
      if (M < 2) break;
      const xb = new Float64Array(M * size);
      const v1 = new Float64Array(M * size);
      const v2 = new Float64Array(M * size);
      for (let m = 0; m < M; m++) {
        const sample = x.data.subarray(order[s + m]! * size, (order[s + m]! + 1) * size);
        xb.set(sample, m * size);
        v1.set(augmentSample(sample, I, J, augs, rng, opts), m * size);
        v2.set(augmentSample(sample, I, J, augs, rng, opts), m * size);
      }
      const batch = { count: M, rows: I, cols: J, x: xb, views: [v1, v2] as const };
      const fb = atdObjective(batch, b, c, objOpts);
      adamB.step(b.data, fb.gradB.data);
      const fc = atdObjective(batch, b, c, objOpts);
      adamC.step(c.data, fc.gradC.data);
      if (!Number.isFinite(fc.loss))
        fail(ErrorCodes.NUMERIC, `atd: the objective became non-finite in epoch ${e}`, 'lower the learning rate or raise the ridge');
      rec += fc.reconstruction;
      ssl += fc.selfSupervised;
      batches++;
    }
    rebalance(b, c);
    const ep = { epoch: e, reconstruction: rec / Math.max(1, batches), selfSupervised: ssl / Math.max(1, batches) };
    history.push(ep);
    opts.onEpoch?.(ep);
  }
  const a = leastSquaresRepresentations(x.data, N, I, J, b, c, ridge);
  const meta: AtdMeta = { epochs, augment: augmentIds, history, init, ridge };
  return {
    format: 'atd',
    shape: [N, I, J],
    ranks: [R],
    cores: [
      { shape: [N, R], data: a.data },
      { shape: [I, R], data: b.data },
      { shape: [J, R], data: c.data },
    ],
    meta: meta as unknown as Record<string, unknown>,
  };
}

/** The options of the `atd` format that `decompose` may pass besides the core ones. */
export const ATD_OPTION_KEYS: readonly string[] = ['augment', 'epochs', 'seed'];

function asCp(f: Factors): Factors {
  if (!f || f.format !== 'atd' || f.cores?.length !== 3)
    fail(ErrorCodes.SHAPE, 'atd: factors must be {format: "atd", cores: [A, B, C]}', 'decompose with the atd plugin');
  const R = f.ranks[0]!;
  return { format: 'cp', shape: f.shape, ranks: f.ranks, cores: [...f.cores, { shape: [R], data: new Float64Array(R).fill(1) }] };
}

/** The ATD {@link Decomposition}: data tensors N × I × J, rank [R]. */
export const atdDecomposition: Decomposition = {
  rankConvention: ATD_RANK_CONVENTION,
  optionKeys: ATD_OPTION_KEYS,
  resolveRanks(shape, spec, opts) {
    return resolveAtdRanks(shape, spec, opts as CpAlsOptions & { tensor?: DenseTensor });
  },
  decompose(tensor, spec, opts) {
    const [R] = atdDecomposition.resolveRanks(tensor.shape, spec, { ...opts, tensor });
    return atd(tensor, R!, opts as AtdOptions);
  },
  reconstruct(factors) {
    return cpReconstruct(asCp(factors));
  },
  paramCount(shape, ranks) {
    return cpParamCount(shape, ranks);
  },
  representations(factors) {
    return asCp(factors).cores[0]!;
  },
};
