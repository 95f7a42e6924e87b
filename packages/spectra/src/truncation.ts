/**
 * What sequential decompositions (TT-SVD, TR-SVD, …) do with one truncated SVD: choose the rank
 * that meets an error budget, keep the leading columns, carry diag(s)·Vᵀ on, fix the singular
 * vectors' signs, and accept a randomized SVD only when it provably equals the exact truncation.
 *
 * @module
 */
import { ErrorCodes, fail, frobNorm, matmul, matrix, randomizedSvd, truncate, type DenseTensor, type Matrix, type Rng, type Svd } from '@tensorslim/linalg';

/**
 * The smallest rank R ≥ 1 whose discarded singular values (s descending) have norm
 * √(Σ_{i≥R} s_i²) ≤ `delta`, and the discarded squared energy.
 */
export function rankWithin(
  s: Float64Array,
  delta: number,
): {
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

/** The first k columns of a row-major matrix, as a new matrix (never aliasing `a`'s buffer). */
export function leadingColumns(a: Matrix, k: number): Matrix {
  if (a.cols === k) return matrix(a.rows, k, a.data.slice());
  const out = new Float64Array(a.rows * k);
  for (let i = 0; i < a.rows; i++) out.set(a.data.subarray(i * a.cols, i * a.cols + k), i * k);
  return matrix(a.rows, k, out);
}

/** diag(s[0..k)) · vt[0..k) as a new k×n matrix (never writes into the SVD's buffers). */
export function scaleRows(s: Float64Array, vt: Matrix, k: number): Matrix {
  const n = vt.cols;
  const out = vt.data.slice(0, k * n);
  for (let i = 0; i < k; i++) {
    const si = s[i]!;
    const row = out.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < n; j++) row[j] = row[j]! * si;
  }
  return matrix(k, n, out);
}

/**
 * Makes the largest-magnitude entry of every left singular vector positive, flipping the
 * matching right vector too (in place). For algorithms whose result depends on the signs (TR-SVD
 * splits the first SVD's vectors into two ranks), a fixed rule makes it reproducible.
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

/** Squared Frobenius norm of A − U·diag(s)·Vt (U: m×l, Vt: l×n). */
function residualSq(a: Matrix, f: Svd): number {
  const l = f.s.length;
  const us = new Float64Array(f.u.rows * l);
  for (let i = 0; i < f.u.rows; i++) for (let j = 0; j < l; j++) us[i * l + j] = f.u.data[i * f.u.cols + j]! * f.s[j]!;
  const approx = matmul(matrix(f.u.rows, l, us), f.vt);
  let r = 0;
  for (let i = 0; i < a.data.length; i++) {
    const e = a.data[i]! - approx.data[i]!;
    r += e * e;
  }
  return r;
}

/**
 * A randomized truncated SVD of rank k that comes with a certificate, or `null`. The sketch
 * keeps l = max(k + 10, min(2k, k + 16)) directions (at most min(m, n)): `randomizedSvd` at rank
 * l, with its default oversampling and 2 power iterations. With R = A − U_l S_l V_lᵀ, Ky Fan's
 * inequality bounds the energy the exact rank-k truncation could keep beyond ours by ‖R‖²_F. The
 * rank-k truncation is returned only when that bound is negligible (‖R‖²_F ≤ 1e-10 of the energy
 * our truncation discards, or ‖R‖_F ≤ 1e-13‖A‖_F): then it equals the exact truncation.
 */
export function certifiedRandomizedSvd(a: Matrix, k: number, rng: Rng): Svd | null {
  const kmax = Math.min(a.rows, a.cols);
  const l = Math.min(kmax, Math.max(k + 10, Math.min(2 * k, k + 16)));
  const f = randomizedSvd(a, l, { rng, powerIters: 2 });
  const r2 = residualSq(a, f);
  let tail = 0;
  for (let i = k; i < f.s.length; i++) tail += f.s[i]! * f.s[i]!;
  const a2 = frobNorm(a) ** 2;
  if (r2 <= 1e-10 * (tail + r2) || r2 <= 1e-26 * a2) return truncate(f, k);
  return null;
}

/**
 * The product of consecutive 3-way cores `[a, n_1, b]·[b, n_2, c]···` as one `[a, n_1·n_2···, z]`
 * tensor (the merged mode row-major over the cores' modes): tensor-train and tensor-ring chains.
 */
export function chainProduct(cores: readonly DenseTensor[]): DenseTensor {
  let acc = cores[0]!;
  for (let k = 1; k < cores.length; k++) {
    const c = cores[k]!;
    const [ra, p, rb] = acc.shape as [number, number, number];
    const [rb2, n, rc] = c.shape as [number, number, number];
    if (rb !== rb2) fail(ErrorCodes.RANK, `cannot chain cores: rank ${rb} meets rank ${rb2}`);
    const prod = matmul({ rows: ra * p, cols: rb, data: acc.data }, { rows: rb, cols: n * rc, data: c.data });
    acc = { shape: [ra, p * n, rc], data: prod.data };
  }
  return acc;
}
