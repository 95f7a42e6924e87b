/**
 * TR-SVD (Zhao, Zhou, Xie, Zhang & Cichocki 2016, "Tensor Ring Decomposition", Algorithm 1):
 * a truncated SVD of the start mode's unfolding whose rank is split into r_m·r_{m+1}, then
 * sequential truncated SVDs around the ring, as in TT-SVD.
 *
 * @module
 */
import {
  ErrorCodes,
  assertFinite,
  evaluateRankSpec,
  fail,
  rankSpecKind,
  type DecomposeOptions,
  type Factors,
  type RankSpec,
} from '@tensorslim/core';
import { frobNorm, sizeOf, svd, truncate, truncatedSvd, type DenseTensor, type Matrix, type Svd } from '@tensorslim/linalg';
import { rotateList, rotateModes } from './cores.js';
import { resolveSpecRanks, splitFirstRank, validateStartMode } from './ranks.js';

/** The plugin id (the `format` of every `Factors` object this package returns). */
export const TR_FORMAT = 'tr';

/** Options of {@link trSvd}. */
export interface TrSvdOptions extends DecomposeOptions {
  /**
   * The mode whose unfolding is split into r_m·r_{m+1} (default 0). Choose another when the
   * first unfolding is too small for the ranks (the rank error names the modes that fit).
   */
  readonly startMode?: number;
}

/**
 * Smallest rank R ≥ 1 whose discarded tail √(Σ_{i≥R} s_i²) is at most `delta`; returns the rank
 * and the discarded squared energy.
 */
export function rankWithin(s: Float64Array, delta: number): {
  /** The rank kept. */
  rank: number;
  /** Σ of the discarded s_i². */
  tail: number;
} {
  const d2 = delta * delta;
  let R = s.length;
  let tail = 0;
  while (R > 1) {
    const v = s[R - 1]! * s[R - 1]!;
    if (tail + v > d2) break;
    tail += v;
    R--;
  }
  return { rank: Math.max(1, R), tail };
}

/** The first k columns of a row-major matrix (the data itself when it has exactly k). */
function leadingColumns(u: Matrix, k: number): Float64Array {
  if (u.cols === k) return u.data;
  const out = new Float64Array(u.rows * k);
  for (let i = 0; i < u.rows; i++) out.set(u.data.subarray(i * u.cols, i * u.cols + k), i * k);
  return out;
}

/**
 * Makes the largest-magnitude entry of every left singular vector positive (flipping the matching
 * right vector too). TR-SVD needs a fixed sign rule: the r_m·r_{m+1} split mixes the first SVD's
 * vectors into two ranks, so a flipped pair changes every later unfolding and the result.
 */
export function fixSigns(f: Svd): void {
  const { rows, cols } = f.u;
  const U = f.u.data;
  const V = f.vt.data;
  const n = f.vt.cols;
  for (let j = 0; j < cols; j++) {
    let big = 0;
    for (let i = 0; i < rows; i++) {
      const v = U[i * cols + j]!;
      if (Math.abs(v) > Math.abs(big)) big = v;
    }
    if (big >= 0) continue;
    for (let i = 0; i < rows; i++) U[i * cols + j] = -U[i * cols + j]!;
    for (let i = 0; i < n; i++) V[j * n + i] = -V[j * n + i]!;
  }
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
  const ev = evaluateRankSpec(spec, { d });
  const eps = rankSpecKind(ev) === 'eps' ? (ev as { eps: number }).eps : undefined;
  const r = eps === undefined ? rotateList(resolveSpecRanks(shape, ev, m), m) : new Array<number>(d).fill(1);
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
    cores[k] = { shape: [r[k]!, n[k]!, rk], data: leadingColumns(f.u, rk) };
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
