/**
 * Singular value decompositions: exact (economy) and randomized truncated.
 *
 * @module
 */
import { ErrorCodes, fail } from '../errors.js';
import type { Matrix } from './matrix.js';
import { matmul, matrix, transpose } from './matrix.js';
import { qr } from './qr.js';
import { Rng } from './rng.js';

/** A (possibly truncated) SVD: A ≈ U · diag(s) · Vt. */
export interface Svd {
  /** Left singular vectors as columns, m×k. */
  u: Matrix;
  /** Singular values, descending, length k. */
  s: Float64Array;
  /** Right singular vectors as rows, k×n. */
  vt: Matrix;
}

/** Options of {@link svd}. */
export interface SvdOptions {
  /** Keep only the leading k triplets (default: all, min(m, n)). */
  k?: number;
}

/**
 * Exact economy SVD (one-sided Jacobi after a QR when the matrix is tall), truncated to `k`
 * triplets if asked. Accurate to machine precision relative to ‖A‖.
 */
export function svd(a: Matrix, opts: SvdOptions = {}): Svd {
  const m = a.rows;
  const n = a.cols;
  const kmax = Math.min(m, n);
  const k = opts.k === undefined ? kmax : Math.max(0, Math.min(opts.k, kmax));
  if (kmax === 0) return { u: matrix(m, 0), s: new Float64Array(0), vt: matrix(0, n) };
  if (m < n) {
    const t = svd(transpose(a), { k });
    return { u: transpose(t.vt), s: t.s, vt: transpose(t.u) };
  }
  // tall or square: A = Q R, SVD of R (n×n)
  let q: Matrix | null = null;
  let r: Matrix = a;
  if (m > n) {
    const f = qr(a);
    q = f.q;
    r = f.r;
  }
  const { u: ur, s, v } = jacobiSvd(r);
  const u = q ? matmul(q, ur) : ur;
  return truncate({ u, s, vt: transpose(v) }, k);
}

/** Keeps the first k triplets of an SVD. */
export function truncate(f: Svd, k: number): Svd {
  const kk = Math.min(k, f.s.length);
  if (kk === f.s.length) return f;
  const m = f.u.rows;
  const n = f.vt.cols;
  const u = matrix(m, kk);
  for (let i = 0; i < m; i++) for (let j = 0; j < kk; j++) u.data[i * kk + j] = f.u.data[i * f.u.cols + j]!;
  const vt = matrix(kk, n, f.vt.data.slice(0, kk * n));
  return { u, s: f.s.slice(0, kk), vt };
}

/** One-sided Jacobi on a square matrix: returns U (n×n), s, V (n×n). */
function jacobiSvd(a: Matrix): { u: Matrix; s: Float64Array; v: Matrix } {
  const n = a.cols;
  const m = a.rows;
  // columns of A stored as rows of W (contiguous)
  const W = transpose(a).data.slice();
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * m;
      for (let q = p + 1; q < n; q++) {
        const oq = q * m;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const x = W[op + i]!;
          const y = W[oq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = W[op + i]!;
          const y = W[oq + i]!;
          W[op + i] = c * x - s * y;
          W[oq + i] = s * x + c * y;
        }
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const x = V[vp + i]!;
          const y = V[vq + i]!;
          V[vp + i] = c * x - s * y;
          V[vq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += W[j * m + i]! * W[j * m + i]!;
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => norms[y]! - norms[x]!);
  const s = Float64Array.from(order, (j) => norms[j]!);
  const u = matrix(m, n);
  const v = matrix(n, n);
  for (let c = 0; c < n; c++) {
    const j = order[c]!;
    const nj = norms[j]!;
    for (let i = 0; i < m; i++) u.data[i * n + c] = nj > 0 ? W[j * m + i]! / nj : 0;
    for (let i = 0; i < n; i++) v.data[i * n + c] = V[j * n + i]!;
  }
  // Columns of U for zero singular values are zero; complete them to an orthonormal set.
  completeOrthonormal(u, s);
  return { u, s, v };
}

/** Replaces the zero columns of U (zero singular values) by an orthonormal completion. */
function completeOrthonormal(u: Matrix, s: Float64Array): void {
  const m = u.rows;
  const n = u.cols;
  const tol = (s[0] ?? 0) * 1e-300;
  let basis = 0;
  for (let c = 0; c < n; c++) {
    if (s[c]! > tol && s[c]! > 0) continue;
    // Gram–Schmidt a unit vector against the existing columns
    for (; basis < m; basis++) {
      const v = new Float64Array(m);
      v[basis] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < n; j++) {
          if (j === c) continue;
          let d = 0;
          for (let i = 0; i < m; i++) d += u.data[i * n + j]! * v[i]!;
          for (let i = 0; i < m; i++) v[i] = v[i]! - d * u.data[i * n + j]!;
        }
      }
      let nv = 0;
      for (let i = 0; i < m; i++) nv += v[i]! * v[i]!;
      nv = Math.sqrt(nv);
      if (nv > 1e-8) {
        for (let i = 0; i < m; i++) u.data[i * n + c] = v[i]! / nv;
        basis++;
        break;
      }
    }
  }
}

/** Options of {@link randomizedSvd}. */
export interface RandomizedSvdOptions {
  /** Extra sampled directions beyond k (default 10). */
  oversample?: number;
  /** Power (subspace) iterations (default 2). */
  powerIters?: number;
  /** Random generator (default: seeded with 0x5eed, so results are reproducible). */
  rng?: Rng;
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011): a Gaussian sketch, `powerIters`
 * power iterations with re-orthonormalization, then an exact SVD of the small projected matrix.
 */
export function randomizedSvd(a: Matrix, k: number, opts: RandomizedSvdOptions = {}): Svd {
  const m = a.rows;
  const n = a.cols;
  const kmax = Math.min(m, n);
  if (!Number.isInteger(k) || k < 0) fail(ErrorCodes.RANK, `randomizedSvd rank ${k} is not a non-negative integer`);
  const kk = Math.min(k, kmax);
  const l = Math.min(kmax, kk + (opts.oversample ?? 10));
  if (l >= kmax) return svd(a, { k: kk });
  const rng = opts.rng ?? new Rng(0x5eed);
  const omega = matrix(n, l, rng.normalArray(n * l));
  let y = matmul(a, omega); // m×l
  let q = qr(y).q;
  const iters = opts.powerIters ?? 2;
  for (let it = 0; it < iters; it++) {
    const z = qr(matmul(a, q, { transA: true })).q; // n×l
    y = matmul(a, z);
    q = qr(y).q;
  }
  const b = matmul(q, a, { transA: true }); // l×n
  const f = svd(b, { k: kk });
  return { u: matmul(q, f.u), s: f.s, vt: f.vt };
}

/** Options of {@link truncatedSvd}. */
export interface TruncatedSvdOptions extends RandomizedSvdOptions {
  /** 'exact', 'randomized', or 'auto' (randomized when k ≤ min(m, n)/4). Default 'auto'. */
  method?: 'auto' | 'exact' | 'randomized';
}

/** The leading k singular triplets, choosing the algorithm by `method`. */
export function truncatedSvd(a: Matrix, k: number, opts: TruncatedSvdOptions = {}): Svd {
  const method = opts.method ?? 'auto';
  const kmax = Math.min(a.rows, a.cols);
  if (method === 'randomized' || (method === 'auto' && k * 4 <= kmax && kmax >= 64)) {
    return randomizedSvd(a, k, opts);
  }
  return svd(a, { k });
}
