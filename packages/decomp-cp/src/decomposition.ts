/**
 * CP-ALS (Carroll & Chang 1970; Harshman 1970; Kolda & Bader 2009, §3.4) over linalg's dense
 * float64 tensors: X ≈ Σ_r λ_r · a¹_r ∘ a²_r ∘ … ∘ a^d_r; the rank specs that need the data
 * (`eps`: the smallest R whose fit reaches the tolerance); and the {@link cpDecomposition}
 * object that wraps them for the plugin.
 *
 * One sweep updates each factor in turn by the exact least-squares solution with the others
 * fixed, A_n ← X_(n) · (⊙_{k≠n} A_k) · (∗_{k≠n} A_kᵀA_k)⁺, then normalizes its columns to unit
 * 2-norm, moving the norms into λ. Sweeps stop after `sweeps` or when a sweep improves the
 * relative error by less than `tol` times its previous value.
 *
 * @module
 */
import {
  assertFinite,
  ErrorCodes,
  evaluateRankSpec,
  fail,
  rankSpecKind,
  type DecomposeOptions,
  type Decomposition,
  type Factors,
  type RankSpec,
  type RankValue,
} from '@tensorslim/core';
import { frobNorm, gram, matmul, Rng, symEig, truncatedSvd, unfold, type DenseTensor, type Matrix } from '@tensorslim/linalg';
import { CP_RANK_CONVENTION, maxCpRank, ratioCpRank, validateCpRanks, validateCpShape } from './ranks.js';

/** What {@link validateCpFactors} returns: the pieces of a CP factorization. */
export interface CpParts {
  /** The CP rank R. */
  readonly rank: number;
  /** The d factor matrices, each [I_k, R] row-major. */
  readonly factors: readonly {
    /** [I_k, R]. */
    readonly shape: readonly number[];
    /** Row-major entries. */
    readonly data: Float64Array;
  }[];
  /** The weights λ, length R. */
  readonly weights: Float64Array;
}

/**
 * Checks that `f` is a CP factorization as this plugin writes it: `format: 'cp'`,
 * `ranks: [R]`, `cores = [A_1, ..., A_d, λ]` with A_k of shape [I_k, R] and λ of shape [R].
 */
export function validateCpFactors(f: Factors, where = 'cp'): CpParts {
  if (!f || typeof f !== 'object') fail(ErrorCodes.SHAPE, `${where}: factors must be an object`);
  if (f.format !== 'cp') {
    fail(ErrorCodes.SHAPE, `${where}: factors of format "${String(f.format)}" are not CP factors`, 'decompose with the cp plugin');
  }
  validateCpShape(f.shape, 'factors');
  const { rank } = validateCpRanks(f.shape, f.ranks, where);
  const d = f.shape.length;
  if (!Array.isArray(f.cores) || f.cores.length !== d + 1) {
    fail(
      ErrorCodes.SHAPE,
      `${where}: a CP factorization of a ${d}-mode tensor has ${d + 1} cores (${d} factor matrices and the weights λ), got ${Array.isArray(f.cores) ? f.cores.length : 'none'}`,
    );
  }
  for (let k = 0; k < d; k++) {
    const c = f.cores[k]!;
    if (c.shape.length !== 2 || c.shape[0] !== f.shape[k] || c.shape[1] !== rank || c.data.length !== f.shape[k]! * rank) {
      fail(ErrorCodes.SHAPE, `${where}: factor ${k} has shape [${c.shape.join(', ')}], expected [${f.shape[k]}, ${rank}]`);
    }
  }
  const w = f.cores[d]!;
  if (w.shape.length !== 1 || w.shape[0] !== rank || w.data.length !== rank) {
    fail(ErrorCodes.SHAPE, `${where}: the weights λ have shape [${w.shape.join(', ')}], expected [${rank}]`);
  }
  return { rank, factors: f.cores.slice(0, d), weights: w.data };
}

/** A factor matrix as plain data: shape [I_k, R] and row-major entries. */
export interface FactorMatrixLike {
  /** [I_k, R]. */
  readonly shape: readonly number[];
  /** Row-major entries (a Float64Array or a plain array, e.g. from JSON). */
  readonly data: ArrayLike<number>;
}

/** Options of {@link cpAls} (also readable from a plan entry's `options`). */
export interface CpAlsOptions extends DecomposeOptions {
  /**
   * Initial factors: `'svd'` (default; HOSVD-style, the leading R left singular vectors of each
   * unfolding, random columns where R exceeds the mode size), `'random'` (seeded standard
   * normal), or the d factor matrices themselves ([I_k, R] each).
   */
  readonly init?: 'svd' | 'random' | readonly FactorMatrixLike[];
  /** Maximum number of ALS sweeps (default 100). */
  readonly sweeps?: number;
  /**
   * Stop when a sweep lowers the relative error by less than `tol` × its previous value
   * (default 1e-7). `tol ≤ 0` runs all `sweeps`.
   */
  readonly tol?: number;
  /** Seed of the random generator when `rng` is not given (default 1). */
  readonly seed?: number;
  /** Eigenvalues of the normal-equation matrix below `rcond` × the largest are dropped (default 1e-12). */
  readonly rcond?: number;
  /** Largest rank the `eps` search tries (default min(64, the shape's bound)). */
  readonly rankCap?: number;
}

/** What CP-ALS records in {@link Factors.meta}. */
export interface CpAlsMeta {
  /** Sweeps run. */
  readonly sweeps: number;
  /** ‖X − X̂‖_F / ‖X‖_F after the last sweep. */
  readonly relError: number;
  /** Whether the `tol` test stopped the sweeps (false: the sweep limit did). */
  readonly converged: boolean;
  /** The initialization used. */
  readonly init: 'svd' | 'random' | 'given';
  /** Relative error after each sweep. */
  readonly history: number[];
  /** The rank asked for, when it was clamped. */
  readonly requestedRank?: number;
}

function readOptions(opts: CpAlsOptions) {
  const sweeps = opts.sweeps ?? 100;
  if (!Number.isInteger(sweeps) || sweeps < 1) fail(ErrorCodes.OPTION, `cp: sweeps ${String(sweeps)} must be a positive integer`);
  const tol = opts.tol ?? 1e-7;
  if (typeof tol !== 'number' || !Number.isFinite(tol)) fail(ErrorCodes.OPTION, `cp: tol ${String(tol)} must be a finite number`);
  const rcond = opts.rcond ?? 1e-12;
  if (typeof rcond !== 'number' || !(rcond >= 0) || !(rcond < 1)) fail(ErrorCodes.OPTION, `cp: rcond ${String(rcond)} must be in [0, 1)`);
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed)) fail(ErrorCodes.OPTION, `cp: seed ${String(seed)} must be an integer`);
  const rng = opts.rng ?? new Rng(seed);
  const init = opts.init ?? 'svd';
  if (!Array.isArray(init) && init !== 'svd' && init !== 'random') {
    fail(ErrorCodes.OPTION, `cp: init ${JSON.stringify(init)} is not 'svd', 'random' or a list of factor matrices`);
  }
  return { sweeps, tol, rcond, rng, init };
}

/**
 * The Khatri–Rao (column-wise Kronecker) product A_1 ⊙ A_2 ⊙ … of matrices with R columns each:
 * row (i_1, i_2, …) in row-major order (the last matrix's index varies fastest), so that
 * X_(n) ≈ A_n · diag(λ) · (⊙_{k≠n} A_k)ᵀ with core's {@link unfold}.
 */
export function khatriRao(mats: readonly Matrix[]): Matrix {
  if (mats.length === 0) fail(ErrorCodes.SHAPE, 'khatriRao of no matrices');
  const R = mats[0]!.cols;
  for (const m of mats) if (m.cols !== R) fail(ErrorCodes.SHAPE, `khatriRao: matrices have ${R} and ${m.cols} columns`);
  let acc = mats[0]!;
  for (let m = 1; m < mats.length; m++) {
    const b = mats[m]!;
    const out = new Float64Array(acc.rows * b.rows * R);
    let o = 0;
    for (let i = 0; i < acc.rows; i++) {
      const ai = i * R;
      for (let j = 0; j < b.rows; j++) {
        const bj = j * R;
        for (let r = 0; r < R; r++) out[o++] = acc.data[ai + r]! * b.data[bj + r]!;
      }
    }
    acc = { rows: acc.rows * b.rows, cols: R, data: out };
  }
  return acc;
}

/** Scales each column of `a` to unit 2-norm in place; returns the norms (a zero column stays zero). */
function normalizeColumns(a: Matrix): Float64Array {
  const { rows, cols, data } = a;
  const norms = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let r = 0; r < cols; r++) norms[r]! += data[i * cols + r]! ** 2;
  for (let r = 0; r < cols; r++) norms[r] = Math.sqrt(norms[r]!);
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < cols; r++) if (norms[r]! > 0) data[i * cols + r]! /= norms[r]!;
  }
  return norms;
}

/** The pseudo-inverse of a symmetric positive semi-definite matrix, through its eigenpairs. */
function pinvPsd(v: Matrix, rcond: number): Matrix {
  const n = v.rows;
  const { values, vectors } = symEig(v);
  const cut = rcond * Math.max(values[0] ?? 0, 0);
  const out = new Float64Array(n * n);
  for (let e = 0; e < n; e++) {
    const lam = values[e]!;
    if (!(lam > cut) || lam <= 0) continue;
    for (let i = 0; i < n; i++) {
      const qi = vectors.data[i * n + e]! / lam;
      if (qi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += qi * vectors.data[j * n + e]!;
    }
  }
  return { rows: n, cols: n, data: out };
}

function randomFactor(rows: number, R: number, rng: Rng): Matrix {
  const m: Matrix = { rows, cols: R, data: rng.normalArray(rows * R) };
  normalizeColumns(m);
  return m;
}

function initialFactors(
  x: DenseTensor,
  unfolded: readonly Matrix[],
  R: number,
  init: 'svd' | 'random' | readonly FactorMatrixLike[],
  rng: Rng,
  svdMethod: DecomposeOptions['svd'],
): Matrix[] {
  const shape = x.shape;
  if (Array.isArray(init)) {
    const given = init as readonly FactorMatrixLike[];
    if (given.length !== shape.length) {
      fail(
        ErrorCodes.SHAPE,
        `cp: init gives ${given.length} factor matrices for a ${shape.length}-mode tensor`,
        `pass ${shape.length} matrices of shape [I_k, ${R}]`,
      );
    }
    return given.map((g, k) => {
      if (!g || g.shape.length !== 2 || g.shape[0] !== shape[k] || g.shape[1] !== R || g.data.length !== shape[k]! * R) {
        fail(ErrorCodes.SHAPE, `cp: init factor ${k} has shape [${g?.shape?.join(', ')}], expected [${shape[k]}, ${R}]`);
      }
      const data = Float64Array.from(g.data);
      assertFinite(data, `cp: init factor ${k}`);
      const m: Matrix = { rows: shape[k]!, cols: R, data };
      normalizeColumns(m);
      return m;
    });
  }
  if (init === 'random') return shape.map((s) => randomFactor(s, R, rng));
  const method = svdMethod === 'exact' ? 'exact' : svdMethod === 'randomized' ? 'randomized' : 'auto';
  return shape.map((s, k) => {
    const kk = Math.min(R, s);
    const u = truncatedSvd(unfolded[k]!, kk, { method, rng }).u; // [s, kk]
    const m: Matrix = { rows: s, cols: R, data: new Float64Array(s * R) };
    const extra = R > kk ? randomFactor(s, R - kk, rng) : null;
    for (let i = 0; i < s; i++) {
      for (let r = 0; r < kk; r++) m.data[i * R + r] = u.data[i * kk + r]!;
      for (let r = kk; r < R; r++) m.data[i * R + r] = extra!.data[i * (R - kk) + (r - kk)]!;
    }
    return m;
  });
}

/** CP-ALS at a fixed, already validated rank R. */
export function cpAlsAtRank(x: DenseTensor, R: number, opts: CpAlsOptions = {}): Factors {
  validateCpShape(x.shape);
  const check = validateCpRanks(x.shape, [R]);
  const rank = check.rank;
  assertFinite(x.data, 'cp: the tensor to decompose');
  const o = readOptions(opts);
  const shape = [...x.shape];
  const d = shape.length;
  const unfolded = shape.map((_, n) => unfold(x, n));
  const a = initialFactors(x, unfolded, rank, o.init, o.rng, opts.svd);
  const grams = a.map((m) => gram(m, 'cols'));
  let lambda: Float64Array = new Float64Array(rank).fill(1);
  const normX = frobNorm(x);
  const history: number[] = [];
  let converged = false;
  let sweeps = 0;
  if (normX === 0) {
    lambda = new Float64Array(rank);
    history.push(0);
    converged = true;
  } else {
    let prev = Infinity;
    for (sweeps = 1; sweeps <= o.sweeps; sweeps++) {
      let lastKr: Matrix | null = null;
      let lastUnnormalized: Matrix | null = null;
      for (let n = 0; n < d; n++) {
        const others = a.filter((_, k) => k !== n);
        const kr = khatriRao(others); // [∏_{k≠n} I_k, R]
        const mttkrp = matmul(unfolded[n]!, kr); // [I_n, R]
        const v: Matrix = { rows: rank, cols: rank, data: new Float64Array(rank * rank).fill(1) };
        for (let k = 0; k < d; k++) {
          if (k === n) continue;
          const g = grams[k]!.data;
          for (let i = 0; i < v.data.length; i++) v.data[i]! *= g[i]!;
        }
        const an = matmul(mttkrp, pinvPsd(v, o.rcond));
        if (n === d - 1) {
          lastKr = kr;
          lastUnnormalized = { rows: an.rows, cols: an.cols, data: an.data.slice() };
        }
        lambda = normalizeColumns(an);
        a[n] = an;
        grams[n] = gram(an, 'cols');
      }
      // ‖X − X̂‖ from the last mode's unfolding: X̂_(d−1) = A_{d−1}·diag(λ) · (⊙_{k<d−1} A_k)ᵀ
      const xhat = matmul(lastUnnormalized!, lastKr!, { transB: true });
      const xd = unfolded[d - 1]!.data;
      const diff = new Float64Array(xd.length);
      for (let i = 0; i < diff.length; i++) diff[i] = xd[i]! - xhat.data[i]!;
      const err = frobNorm({ data: diff }) / normX;
      if (!Number.isFinite(err)) {
        fail(ErrorCodes.NUMERIC, `cp: ALS produced a non-finite error at sweep ${sweeps}`, 'try init: "svd", a smaller rank, or rescale the tensor');
      }
      history.push(err);
      if (o.tol > 0 && Number.isFinite(prev) && prev - err <= o.tol * prev) {
        converged = true;
        break;
      }
      prev = err;
    }
    if (sweeps > o.sweeps) sweeps = o.sweeps;
  }
  // canonical order: weights descending
  const order = Array.from({ length: rank }, (_, r) => r).sort((p, q) => lambda[q]! - lambda[p]!);
  const cores: DenseTensor[] = a.map((m) => {
    const out = new Float64Array(m.data.length);
    for (let i = 0; i < m.rows; i++) for (let r = 0; r < rank; r++) out[i * rank + r] = m.data[i * rank + order[r]!]!;
    return { shape: [m.rows, rank], data: out };
  });
  cores.push({ shape: [rank], data: Float64Array.from(order, (r) => lambda[r]!) });
  const meta: CpAlsMeta = {
    sweeps,
    relError: history[history.length - 1]!,
    converged,
    init: Array.isArray(o.init) ? 'given' : (o.init as 'svd' | 'random'),
    history,
    ...(check.clamped ? { requestedRank: check.requested } : {}),
  };
  return { format: 'cp', shape, ranks: [rank], cores, meta: meta as unknown as Record<string, unknown> };
}

/** Rebuilds the dense tensor Σ_r λ_r · a¹_r ∘ … ∘ a^d_r from CP factors. */
export function cpReconstruct(factors: Factors): DenseTensor {
  const { rank, factors: fs, weights } = validateCpFactors(factors, 'reconstruct');
  const first = fs[0]!;
  const scaled = new Float64Array(first.data.length);
  for (let i = 0; i < first.shape[0]!; i++) {
    for (let r = 0; r < rank; r++) scaled[i * rank + r] = first.data[i * rank + r]! * weights[r]!;
  }
  const rest = khatriRao(fs.slice(1).map((f) => ({ rows: f.shape[0]!, cols: rank, data: f.data })));
  // the mode-0 unfolding, row-major, is the tensor itself
  const x0 = matmul({ rows: first.shape[0]!, cols: rank, data: scaled }, rest, { transB: true });
  return { shape: [...factors.shape], data: x0.data };
}

/** Parameters of a rank-R CP factorization: R·ΣI_k (λ folds into a factor, as the layers do). */
export function cpParamCount(shape: readonly number[], ranks: readonly number[]): number {
  const { rank } = validateCpRanks(shape, ranks, 'paramCount');
  return rank * shape.reduce((s, n) => s + n, 0);
}

/**
 * The smallest rank R ≤ cap whose CP-ALS fit has relative error ≤ `eps`, with its factors. When
 * no R up to the cap reaches `eps`, the cap's factors are returned and `meta.epsReached` is false.
 */
export function cpEpsSearch(tensor: DenseTensor, eps: number, opts: CpAlsOptions = {}): Factors {
  validateCpShape(tensor.shape);
  if (typeof eps !== 'number' || !(eps >= 0)) fail(ErrorCodes.RANK, `cp: error tolerance eps ${String(eps)} must be a number ≥ 0`);
  const bound = maxCpRank(tensor.shape);
  const cap = opts.rankCap ?? Math.min(64, bound);
  if (!Number.isInteger(cap) || cap < 1) fail(ErrorCodes.OPTION, `cp: rankCap ${String(cap)} must be a positive integer`);
  let last: Factors | null = null;
  for (let r = 1; r <= Math.min(cap, bound); r++) {
    last = cpAlsAtRank(tensor, r, opts);
    const err = (last.meta as unknown as CpAlsMeta).relError;
    if (err <= eps) return { ...last, meta: { ...last.meta, eps, epsReached: true } };
  }
  return { ...last!, meta: { ...last!.meta, eps, epsReached: false } };
}

/**
 * The ranks `spec` resolves to for a tensor of `shape` (always `[R]`, clamped to
 * {@link maxCpRank}). `eps` runs the search of {@link cpEpsSearch} and so needs `opts.tensor`;
 * `auto` is not offered by CP.
 */
export function resolveCpRanks(shape: readonly number[], spec: RankSpec, opts: CpAlsOptions & { tensor?: DenseTensor } = {}): number[] {
  validateCpShape(shape);
  const kind = rankSpecKind(spec);
  if (kind === 'ranks') return [validateCpRanks(shape, (spec as { ranks: readonly RankValue[] }).ranks).rank];
  const s = evaluateRankSpec(spec);
  switch (kind) {
    case 'maxRank':
      return [validateCpRanks(shape, [(s as { maxRank: number }).maxRank], 'maxRank').rank];
    case 'ratio':
      return [ratioCpRank(shape, (s as { ratio: number }).ratio)];
    case 'eps': {
      if (!opts.tensor) {
        fail(ErrorCodes.RANK, 'cp: an eps rank spec depends on the data', 'pass the tensor (resolveRanks(shape, spec, { tensor })) or use ranks/maxRank/ratio');
      }
      return [...cpEpsSearch(opts.tensor, (s as { eps: number }).eps, opts).ranks];
    }
    default:
      return fail(ErrorCodes.RANK, 'cp has no automatic rank choice ({auto})', 'use {"ranks":[R]}, {"maxRank":R}, {"ratio":C} or {"eps":E}');
  }
}

/**
 * CP-ALS at the rank `spec` resolves to: returns `{ format: 'cp', shape, ranks: [R],
 * cores: [A_1, …, A_d, λ] }`, the factor matrices [I_k, R] with unit-norm columns ordered by
 * descending λ, and {@link CpAlsMeta} in `meta`.
 */
export function cpAls(tensor: DenseTensor, spec: RankSpec, opts: CpAlsOptions = {}): Factors {
  validateCpShape(tensor.shape);
  if (rankSpecKind(spec) === 'eps') return cpEpsSearch(tensor, (evaluateRankSpec(spec) as { eps: number }).eps, opts);
  const [r] = resolveCpRanks(tensor.shape, spec, opts);
  const asked = rankSpecKind(spec) === 'ranks' ? validateCpRanks(tensor.shape, (spec as { ranks: readonly RankValue[] }).ranks) : null;
  const f = cpAlsAtRank(tensor, r!, opts);
  return asked?.clamped ? { ...f, meta: { ...f.meta, requestedRank: asked.requested } } : f;
}

/** The CP {@link Decomposition}: CP-ALS, reconstruction, parameter count and rank resolution. */
export const cpDecomposition: Decomposition = {
  rankConvention: CP_RANK_CONVENTION,
  resolveRanks(shape, spec, opts) {
    return resolveCpRanks(shape, spec, opts as CpAlsOptions & { tensor?: DenseTensor });
  },
  decompose(tensor, spec, opts) {
    return cpAls(tensor, spec, opts as CpAlsOptions);
  },
  reconstruct(factors) {
    return cpReconstruct(factors);
  },
  paramCount(shape, ranks) {
    return cpParamCount(shape, ranks);
  },
};
