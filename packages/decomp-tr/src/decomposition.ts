/**
 * The tensor-ring algorithms as plain functions over linalg's dense tensor: TR-SVD (Zhao, Zhou,
 * Xie, Zhang & Cichocki 2016, "Tensor Ring Decomposition", Algorithm 1: a truncated SVD of the
 * start mode's unfolding whose rank is split into r_m·r_{m+1}, then sequential truncated SVDs
 * around the ring, as in TT-SVD), TR-ALS refinement, reconstruction, and the
 * {@link trDecomposition} object that wraps them for the plugin.
 *
 * @module
 */
import {
  ErrorCodes,
  assertFinite,
  evaluateRankFormulas,
  fail,
  rankSpecKind,
  type DecomposeOptions,
  type Decomposition,
  type Factors,
  type RankSpec,
} from '@tensorslim/core';
import { frobNorm, matmul, qr, relError, sizeOf, svd, truncate, truncatedSvd, type DenseTensor, type Matrix, type Svd } from '@tensorslim/linalg';
import { chainProduct, fixSigns, leadingColumns, rankWithin, rotateList, rotateModes } from '@tensorslim/spectra';
import { resolveStaticTrRanks, splitFirstRank, TR_RANK_CONVENTION, trParamCount, validateStartMode, validateTrRanks } from './ranks.js';

/** The plugin id (the `format` of every `Factors` object this package returns). */
export const TR_FORMAT = 'tr';

/**
 * Checks that `cores` form a ring (core k is `[r_k, n_k, r_{k+1}]`, the last right rank equals
 * the first left rank, at least two cores; ranks checked by {@link validateTrRanks}) and returns
 * the tensor shape and ring ranks they imply.
 */
export function ringOf(cores: readonly DenseTensor[]): {
  /** Mode sizes n_k. */
  shape: number[];
  /** Ring ranks r_k (left rank of core k). */
  ranks: number[];
} {
  const d = cores.length;
  if (d === 0) fail(ErrorCodes.SHAPE, 'a tensor ring needs at least one core');
  cores.forEach((c, k) => {
    if (c.shape.length !== 3) fail(ErrorCodes.SHAPE, `TR core ${k} has shape [${c.shape.join(', ')}]; cores are 3-way [r_k, n_k, r_(k+1)]`);
    if (c.data.length !== sizeOf(c.shape)) fail(ErrorCodes.SHAPE, `TR core ${k}: ${c.data.length} entries do not fill [${c.shape.join(', ')}]`);
    const next = cores[(k + 1) % d]!;
    if (c.shape[2] !== next.shape[0]) {
      fail(ErrorCodes.RANK, `TR cores do not close a ring: core ${k} ends in rank ${c.shape[2]} but core ${(k + 1) % d} starts with rank ${next.shape[0]}`);
    }
  });
  const shape = cores.map((c) => c.shape[1]!);
  const ranks = cores.map((c) => c.shape[0]!);
  validateTrRanks(shape, ranks, { forSvd: false, what: 'TR cores' });
  return { shape, ranks };
}

/**
 * Rebuilds the tensor from ring cores: A(i_0, …, i_{d−1}) = trace(Z_0[i_0] · Z_1[i_1] ··· Z_{d−1}[i_{d−1}]).
 * The trace is folded into the last product, so the cost is that of the open chain.
 */
export function trReconstructCores(cores: readonly DenseTensor[]): DenseTensor {
  const { shape } = ringOf(cores);
  const d = cores.length;
  const last = cores[d - 1]!;
  const [c, n, r0] = last.shape as [number, number, number];
  const head = chainProduct(cores.slice(0, d - 1)); // [r0, P, c]
  const P = head.shape[1]!;
  // left[J, (c, a)] = head[a, J, c]; right[(c, a), i] = last[c, i, a]
  const left = new Float64Array(P * c * r0);
  const hd = head.data;
  for (let a = 0; a < r0; a++) {
    for (let J = 0; J < P; J++) {
      const src = (a * P + J) * c;
      const dst = J * c * r0 + a;
      for (let x = 0; x < c; x++) left[dst + x * r0] = hd[src + x]!;
    }
  }
  const right = new Float64Array(c * r0 * n);
  const ld = last.data;
  for (let x = 0; x < c; x++) for (let i = 0; i < n; i++) for (let a = 0; a < r0; a++) right[(x * r0 + a) * n + i] = ld[(x * n + i) * r0 + a]!;
  const out = matmul({ rows: P, cols: c * r0, data: left }, { rows: c * r0, cols: n, data: right });
  return { shape, data: out.data };
}

/** Rebuilds the tensor a TR `Factors` object describes (see {@link trReconstructCores}). */
export function trReconstruct(factors: Factors): DenseTensor {
  const out = trReconstructCores(factors.cores);
  if (factors.shape.length !== out.shape.length || factors.shape.some((s, i) => s !== out.shape[i])) {
    fail(ErrorCodes.SHAPE, `TR factors claim shape [${factors.shape.join(', ')}] but their cores give [${out.shape.join(', ')}]`);
  }
  return out;
}

/** Options of {@link trSvd}. */
export interface TrSvdOptions extends DecomposeOptions {
  /**
   * The mode whose unfolding is split into r_m·r_{m+1} (default 0). Choose another when the
   * first unfolding is too small for the ranks (the rank error names the modes that fit).
   */
  readonly startMode?: number;
}

/**
 * Decomposes `tensor` into a tensor ring by TR-SVD.
 *
 * Ranks come from `spec`: explicit ring ranks (d numbers, clamped as {@link validateTrRanks}
 * says; an r_m·r_{m+1} that the start unfolding cannot hold is a `TS_RANK` error naming the start
 * modes and ranks that would work), `maxRank`, `ratio`, or `eps`. With `eps` the thresholds of
 * the paper are used — δ₁ = √2·ε‖A‖/√d for the first SVD, δ = ε‖A‖/√d for the d−2 others, so
 * δ₁² + (d−2)δ² = ε²‖A‖² and ‖A − TR(A)‖_F ≤ ε‖A‖_F — and the first rank is split into the
 * most balanced r_m·r_{m+1}.
 *
 * Core k is `[r_k, n_k, r_{k+1}]`; the first unfolding's left singular vectors U (n_m × r_m·r_{m+1})
 * are split with r_m as the slower index (column a·r_{m+1} + b holds core entry [a, i, b]), after
 * {@link fixSigns} (the split makes the result depend on the singular vectors' signs).
 */
export function trSvd(tensor: DenseTensor, spec: RankSpec, opts: TrSvdOptions = {}): Factors {
  const shape = [...tensor.shape];
  const d = shape.length;
  if (d < 2) fail(ErrorCodes.SHAPE, `TR-SVD needs a tensor with at least 2 modes, got shape [${shape.join(', ')}]`, 'reshape the tensor into modes first');
  if (tensor.data.length !== sizeOf(shape)) fail(ErrorCodes.SHAPE, `tensor data (${tensor.data.length} entries) does not fill shape [${shape.join(', ')}]`);
  assertFinite(tensor.data, 'the tensor to decompose');
  const m = validateStartMode(opts.startMode, d);
  const ev = evaluateRankFormulas(spec, { d });
  const eps = rankSpecKind(ev) === 'eps' ? (ev as { eps: number }).eps : undefined;
  const r = eps === undefined ? rotateList(resolveStaticTrRanks(shape, ev, m), m) : new Array<number>(d).fill(1);
  const method = opts.svd ?? 'auto';
  if (!['auto', 'exact', 'randomized'].includes(method)) fail(ErrorCodes.OPTION, `svd method "${String(method)}" is not one of auto, exact, randomized`);

  const A = rotateModes(tensor, m);
  const n = A.shape;
  const norm = eps === undefined ? 0 : frobNorm(A);
  const delta1 = eps === undefined ? 0 : (Math.SQRT2 * eps * norm) / Math.sqrt(d);
  const delta = eps === undefined ? 0 : (eps * norm) / Math.sqrt(d);
  let discarded = 0;

  const factor = (M: Matrix, k: number, dlt: number): Svd => {
    if (eps === undefined) return truncatedSvd(M, k, { method, ...(opts.rng ? { rng: opts.rng } : {}) });
    const full = svd(M);
    const { rank, tail } = rankWithin(full.s, dlt);
    discarded += tail;
    return truncate(full, rank);
  };

  const cores = new Array<DenseTensor>(d);
  // first unfolding n_0 × (n_1···n_{d−1}), split into r_0·r_1
  const n0 = n[0]!;
  let cols = A.data.length / n0;
  const f0 = factor({ rows: n0, cols, data: A.data }, r[0]! * r[1]!, delta1);
  const R = f0.s.length;
  if (eps !== undefined) [r[0], r[1]] = splitFirstRank(R);
  const r0 = r[0]!;
  const r1 = r[1]!;
  if (f0.u.data.buffer === A.data.buffer || f0.vt.data.buffer === A.data.buffer) {
    // never flip signs inside the caller's tensor, whatever the SVD shares
    f0.u = { ...f0.u, data: f0.u.data.slice() };
    f0.vt = { ...f0.vt, data: f0.vt.data.slice() };
  }
  fixSigns(f0);
  if (r0 * r1 !== R) fail(ErrorCodes.NUMERIC, `TR-SVD: the first SVD returned ${R} triplets, expected ${r0 * r1}`);
  {
    const core = new Float64Array(r0 * n0 * r1);
    const U = f0.u.data;
    const uc = f0.u.cols;
    for (let i = 0; i < n0; i++)
      for (let a = 0; a < r0; a++) {
        const src = i * uc + a * r1;
        const dst = (a * n0 + i) * r1;
        for (let b = 0; b < r1; b++) core[dst + b] = U[src + b]!;
      }
    cores[0] = { shape: [r0, n0, r1], data: core };
  }
  // remainder W[b, J, a] = s[a·r1+b] · Vt[a·r1+b, J], i.e. [r_1, n_1···n_{d−1}, r_0]
  let W = new Float64Array(R * cols);
  {
    const V = f0.vt.data;
    for (let a = 0; a < r0; a++)
      for (let b = 0; b < r1; b++) {
        const row = a * r1 + b;
        const sv = f0.s[row]!;
        const src = row * cols;
        let dst = b * cols * r0 + a;
        for (let J = 0; J < cols; J++, dst += r0) W[dst] = sv * V[src + J]!;
      }
  }
  for (let k = 1; k < d - 1; k++) {
    const rows = r[k]! * n[k]!;
    cols = W.length / rows;
    const f = factor({ rows, cols, data: W }, Math.min(r[k + 1]!, rows, cols), delta);
    const rk = f.s.length;
    r[k + 1] = rk;
    cores[k] = { shape: [r[k]!, n[k]!, rk], data: leadingColumns(f.u, rk).data };
    const next = new Float64Array(rk * cols);
    const V = f.vt.data;
    for (let i = 0; i < rk; i++) {
      const sv = f.s[i]!;
      const o = i * cols;
      for (let j = 0; j < cols; j++) next[o + j] = sv * V[o + j]!;
    }
    W = next;
  }
  cores[d - 1] = { shape: [r[d - 1]!, n[d - 1]!, r0], data: W };

  const back = (d - m) % d;
  return {
    format: TR_FORMAT,
    shape,
    ranks: rotateList(r, back),
    cores: rotateList(cores, back),
    meta: {
      startMode: m,
      svd: eps === undefined ? method : 'exact',
      ...(eps !== undefined ? { eps, errorBound: norm > 0 ? Math.sqrt(discarded) / norm : 0 } : {}),
    },
  };
}

/** Options of {@link trAls}. */
export interface TrAlsOptions {
  /** Most sweeps over all d cores (default 10). 0 returns the start unchanged. */
  readonly maxSweeps?: number;
  /** Stop when a sweep lowers the relative error by less than `tol` times its value (default 1e-6). */
  readonly tol?: number;
  /**
   * Singular values of a subchain unfolding below `rcond·σ_max` are treated as zero
   * (default max(rows, cols)·2.2e-16, numpy's lstsq rule).
   */
  readonly rcond?: number;
}

/** Checks an ALS option: a number in range, or the default. */
function numOpt(v: unknown, name: string, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    fail(ErrorCodes.OPTION, `TR-ALS option ${name} = ${String(v)} must be a ${integer ? 'non-negative integer' : 'non-negative number'}`);
  }
  return v;
}

/**
 * Solves core k in place: min ‖A_(k) − X·Mᵀ‖_F where A_(k) is the cyclic mode-k unfolding
 * (columns ordered by modes k+1, …, d−1, 0, …, k−1) and M[J, a·r_{k+1}+b] = S_J[b, a] is the
 * subchain Z_{k+1}···Z_{k−1}. Uses M = QR, R = UΣVᵀ: X = (A_(k)QU)Σ⁺Vᵀ, singular values under
 * the cutoff dropped (a minimum-norm solution when the subchain is rank-deficient).
 */
function solveCore(tensor: DenseTensor, cores: DenseTensor[], k: number, rcond: number | undefined): void {
  const d = cores.length;
  const order: DenseTensor[] = [];
  for (let j = 1; j < d; j++) order.push(cores[(k + j) % d]!);
  const chain = chainProduct(order); // [r_{k+1}, P, r_k]
  const [rb, P, ra] = chain.shape as [number, number, number];
  const q = ra * rb;
  const M = new Float64Array(P * q);
  const cd = chain.data;
  for (let b = 0; b < rb; b++)
    for (let J = 0; J < P; J++) {
      const src = (b * P + J) * ra;
      const dst = J * q + b;
      for (let a = 0; a < ra; a++) M[dst + a * rb] = cd[src + a]!;
    }
  const nk = tensor.shape[k]!;
  const Ak: Matrix = { rows: nk, cols: P, data: rotateModes(tensor, k).data }; // [n_k, P]
  // M = Q·R, R = U·Σ·Vᵀ (tall M): the SVD of M without forming Q·U; A_(k)·Q·U is all we need.
  let f: Svd;
  let AU: Matrix;
  if (P > q) {
    const { q: Q, r: Rm } = qr({ rows: P, cols: q, data: M });
    f = svd(Rm);
    AU = matmul(matmul(Ak, Q), f.u);
  } else {
    f = svd({ rows: P, cols: q, data: M });
    AU = matmul(Ak, f.u);
  }
  const t = f.s.length;
  const cut = (rcond ?? Math.max(P, q) * 2.220446049250313e-16) * (f.s[0] ?? 0);
  let keep = 0;
  while (keep < t && f.s[keep]! > cut) keep++;
  // X = (AU)_{:, <keep} Σ⁻¹ Vt_{<keep, :}
  const X = new Float64Array(nk * q);
  const V = f.vt.data;
  for (let i = 0; i < nk; i++) {
    const xo = i * q;
    for (let l = 0; l < keep; l++) {
      const c = AU.data[i * t + l]! / f.s[l]!;
      if (c === 0) continue;
      const vo = l * q;
      for (let j = 0; j < q; j++) X[xo + j] += c * V[vo + j]!;
    }
  }
  const core = new Float64Array(ra * nk * rb);
  for (let i = 0; i < nk; i++)
    for (let a = 0; a < ra; a++) {
      const src = i * q + a * rb;
      const dst = (a * nk + i) * rb;
      for (let b = 0; b < rb; b++) core[dst + b] = X[src + b]!;
    }
  cores[k] = { shape: [ra, nk, rb], data: core };
}

/**
 * Refines a tensor ring by alternating least squares, keeping its ranks. Starts from `init`
 * (usually {@link trSvd}'s result), sweeps over the cores at most `maxSweeps` times, stops early
 * when a sweep improves the relative error by less than `tol` (relative), and returns the best
 * iterate seen — never one worse than `init`. `meta` records `alsSweeps`, `relError` and
 * `relErrorStart`.
 */
export function trAls(tensor: DenseTensor, init: Factors, opts: TrAlsOptions = {}): Factors {
  const maxSweeps = numOpt(opts.maxSweeps, 'maxSweeps', 10, true);
  const tol = numOpt(opts.tol, 'tol', 1e-6, false);
  const rcond = opts.rcond === undefined ? undefined : numOpt(opts.rcond, 'rcond', 0, false);
  const { shape, ranks } = ringOf(init.cores);
  if (shape.length !== tensor.shape.length || shape.some((s, i) => s !== tensor.shape[i])) {
    fail(ErrorCodes.SHAPE, `TR-ALS: the cores give shape [${shape.join(', ')}] but the tensor is [${tensor.shape.join(', ')}]`);
  }
  if (shape.length < 2) fail(ErrorCodes.SHAPE, 'TR-ALS needs a tensor with at least 2 modes');
  assertFinite(tensor.data, 'the tensor to decompose');
  init.cores.forEach((c, k) => assertFinite(c.data, `TR core ${k}`));
  const startErr = relError(tensor, trReconstructCores(init.cores));
  let best = init.cores.map((c) => ({ shape: [...c.shape], data: c.data }));
  let bestErr = startErr;
  let sweeps = 0;
  if (frobNorm(tensor) > 0 && maxSweeps > 0 && startErr > 0) {
    const cores = init.cores.map((c) => ({ shape: [...c.shape], data: c.data.slice() }));
    let prev = startErr;
    for (let s = 0; s < maxSweeps; s++) {
      for (let k = 0; k < cores.length; k++) solveCore(tensor, cores, k, rcond);
      sweeps++;
      const err = relError(tensor, trReconstructCores(cores));
      if (!Number.isFinite(err)) break;
      if (err < bestErr) {
        bestErr = err;
        best = cores.map((c) => ({ shape: [...c.shape], data: c.data.slice() }));
      }
      if (!(prev - err > tol * prev)) break;
      prev = err;
    }
  }
  return {
    format: TR_FORMAT,
    shape: [...tensor.shape],
    ranks,
    cores: best,
    meta: { ...(init.meta ?? {}), alsSweeps: sweeps, relError: bestErr, relErrorStart: startErr },
  };
}

/** Options of {@link trDecompose}: TR-SVD's, plus the ALS refinement. */
export interface TrDecomposeOptions extends TrSvdOptions {
  /** TR-ALS sweeps after TR-SVD (default 0: TR-SVD alone). */
  readonly alsSweeps?: number;
  /** TR-ALS relative-improvement tolerance (default 1e-6). */
  readonly alsTol?: number;
}

/**
 * TR-SVD of `tensor` at the ranks `spec` gives, then (when `alsSweeps` > 0) TR-ALS from there;
 * the ALS result is never worse than TR-SVD's.
 */
export function trDecompose(tensor: DenseTensor, spec: RankSpec, opts: TrDecomposeOptions = {}): Factors {
  const sweeps = opts.alsSweeps ?? 0;
  if (typeof sweeps !== 'number' || !Number.isInteger(sweeps) || sweeps < 0) {
    fail(ErrorCodes.OPTION, `alsSweeps = ${String(sweeps)} must be a non-negative integer`);
  }
  const f = trSvd(tensor, spec, opts);
  if (sweeps === 0) return f;
  return trAls(tensor, f, { maxSweeps: sweeps, ...(opts.alsTol !== undefined ? { tol: opts.alsTol } : {}) });
}

/**
 * The ring ranks `spec` resolves to for a tensor of `shape` (clamped for TR-SVD from
 * `opts.startMode`). An `eps` spec depends on the data: pass `opts.tensor`.
 */
export function resolveTrRanks(shape: readonly number[], spec: RankSpec, opts: TrSvdOptions & { tensor?: DenseTensor } = {}): number[] {
  const ev = evaluateRankFormulas(spec, { d: shape.length });
  const startMode = validateStartMode(opts.startMode, shape.length);
  if (rankSpecKind(ev) === 'eps') {
    if (!opts.tensor) return resolveStaticTrRanks(shape, ev, startMode); // throws the eps hint
    if (opts.tensor.shape.length !== shape.length || opts.tensor.shape.some((s, i) => s !== shape[i])) {
      fail(ErrorCodes.SHAPE, `resolveRanks: tensor shape [${opts.tensor.shape.join(', ')}] differs from [${shape.join(', ')}]`);
    }
    return [...trSvd(opts.tensor, ev, opts).ranks];
  }
  return resolveStaticTrRanks(shape, ev, startMode);
}

/** The TR decomposition object (core's `Decomposition` contract). */
export const trDecomposition: Decomposition = {
  decompose: (tensor, spec, opts) => trDecompose(tensor, spec, (opts ?? {}) as TrDecomposeOptions),
  reconstruct: (factors) => trReconstruct(factors),
  paramCount: (shape, ranks) => trParamCount(shape, ranks),
  resolveRanks: (shape, spec, opts) => resolveTrRanks(shape, spec, (opts ?? {}) as TrSvdOptions & { tensor?: DenseTensor }),
  rankConvention: TR_RANK_CONVENTION,
};
