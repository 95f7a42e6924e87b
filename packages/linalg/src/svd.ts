/**
 * Singular value decompositions: exact (economy), through the Gram matrix (leading k), and
 * randomized (leading k), plus {@link truncatedSvd}, which picks one.
 *
 * - exact ({@link svd}): QR first when the matrix is tall (or of Aᵀ when wide), Golub–Kahan
 *   bidiagonalization of the square factor, implicit-shift QR on the bidiagonal with the
 *   rotations accumulated, then Q applied with blocked reflectors. Accurate to machine precision
 *   relative to ‖A‖ (singular values to about 1e-15·σ_max absolute).
 * - Gram ({@link gramSvd}): the leading k eigenpairs of A·Aᵀ (or Aᵀ·A, the smaller), then a
 *   Rayleigh–Ritz step against A itself. About half the work of one exact SVD when k ≪ min(m, n).
 * - randomized ({@link randomizedSvd}): Halko–Martinsson–Tropp with oversampling and power
 *   iterations re-orthonormalized by QR.
 *
 * @module
 */
import { assertFinite, ErrorCodes, fail } from './errors.js';
import type { Matrix } from './matrix.js';
import { matmul, matrix } from './matrix.js';
import { Rng } from './rng.js';
import { gemm, GEMM_SCRATCH } from './gemm.js';
import { applyQ, fromColMajor, geqrf, orgqr, toColMajor } from './householder.js';
import { bdsqr, gebrd, rightReflectors } from './bidiag.js';
import { symEigArena } from './eig.js';
import type { Heap } from './heap.js';
import { withScratch } from './heap.js';

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

/** Refuses NaN/Inf entries up front (the iterations would otherwise spin on them). */
function checkFinite(a: Matrix, what: string): void {
  const d = a.data;
  let s0 = 0;
  let s1 = 0;
  const n2 = d.length & ~1;
  for (let i = 0; i < n2; i += 2) {
    s0 += d[i]! * 0;
    s1 += d[i + 1]! * 0;
  }
  if (n2 < d.length) s0 += d[n2]! * 0;
  if (s0 + s1 !== 0) assertFinite(d, what);
}

function checkRank(k: number, what: string): void {
  if (!Number.isInteger(k) || k < 0) fail(ErrorCodes.RANK, `${what} rank ${k} is not a non-negative integer`, 'pass a whole number ≥ 0');
}

/**
 * Exact economy SVD, truncated to `k` triplets if asked. Singular values are accurate to a small
 * multiple of machine precision times σ_max; U and V have orthonormal columns (also for
 * rank-deficient and all-zero matrices).
 */
export function svd(a: Matrix, opts: SvdOptions = {}): Svd {
  const m = a.rows;
  const n = a.cols;
  const kmax = Math.min(m, n);
  if (opts.k !== undefined) checkRank(opts.k, 'svd');
  const k = opts.k === undefined ? kmax : Math.min(opts.k, kmax);
  if (kmax === 0 || k === 0) return { u: matrix(m, k), s: new Float64Array(k), vt: matrix(k, n) };
  checkFinite(a, 'the matrix passed to svd');
  return withScratch((h) => {
    const wide = m < n;
    const M = wide ? n : m;
    const N = wide ? m : n;
    const w = h.alloc(M * N);
    if (wide)
      h.f64.set(a.data, w); // row-major A is column-major Aᵀ
    else toColMajor(a.data, 0, n, m, n, h.f64, w, M);
    const r = tallSvd(h, w, M, N, k, true);
    const F = h.f64;
    const u = matrix(m, k);
    const vt = matrix(k, n);
    if (!wide) {
      fromColMajor(F, r.u, M, M, k, u.data, 0, k);
      vt.data.set(F.subarray(r.v, r.v + k * N));
    } else {
      fromColMajor(F, r.v, N, N, k, u.data, 0, k);
      vt.data.set(F.subarray(r.u, r.u + k * M));
    }
    return { u, s: r.s, vt };
  });
}

/** The singular values of A, descending (no vectors: about a third of the work of {@link svd}). */
export function svdValues(a: Matrix): Float64Array {
  const m = a.rows;
  const n = a.cols;
  if (Math.min(m, n) === 0) return new Float64Array(0);
  checkFinite(a, 'the matrix passed to svdValues');
  return withScratch((h) => {
    const wide = m < n;
    const M = wide ? n : m;
    const N = wide ? m : n;
    const w = h.alloc(M * N);
    if (wide) h.f64.set(a.data, w);
    else toColMajor(a.data, 0, n, m, n, h.f64, w, M);
    return tallSvd(h, w, M, N, N, false).s;
  });
}

interface ArenaSvd {
  /** Offset of U (M×k, column-major, ld = M). */
  u: number;
  s: Float64Array;
  /** Offset of V (N×k, column-major, ld = N). */
  v: number;
}

/**
 * SVD of the column-major M×N block at w (M ≥ N, ld = M; overwritten). Returns the leading k
 * triplets with U and V as arena blocks (only s when `vectors` is false).
 */
function tallSvd(h: Heap, w: number, M: number, N: number, k: number, vectors: boolean): ArenaSvd {
  const tau = new Float64Array(N);
  let r = w;
  if (M > N) {
    geqrf(h, w, M, M, N, tau);
    r = h.alloc(N * N);
    const F = h.f64;
    for (let j = 0; j < N; j++) {
      const col = r + j * N;
      F.fill(0, col, col + N);
      for (let i = 0; i <= j; i++) F[col + i] = F[w + j * M + i]!;
    }
  }
  const d = new Float64Array(N);
  const e = new Float64Array(Math.max(1, N - 1));
  const tauq = new Float64Array(N);
  const taup = new Float64Array(N);
  gebrd(h, r, N, N, N, d, e, tauq, taup, h.alloc(N), h.alloc(N));
  if (!vectors) {
    bdsqr(null, d, e, N);
    return { u: -1, s: d.sort().reverse().slice(0, k), v: -1 };
  }
  const ub = h.alloc(N * N);
  orgqr(h, r, N, N, N, tauq, ub, N);
  const vb = h.alloc(N * N);
  let F = h.f64;
  F.fill(0, vb, vb + N * N);
  F[vb] = 1;
  if (N > 1) {
    const refl = h.alloc((N - 1) * (N - 1));
    rightReflectors(h, r, N, N, refl);
    orgqr(h, refl, N - 1, N - 1, N - 1, taup, vb + N + 1, N);
  }
  bdsqr(h, d, e, N, ub, N, vb, N);
  const order = Array.from({ length: N }, (_, i) => i).sort((x, y) => d[y]! - d[x]!);
  const s = Float64Array.from(order.slice(0, k), (j) => d[j]!);
  const uk = h.alloc(M * k);
  const vk = h.alloc(N * k);
  F = h.f64;
  for (let c = 0; c < k; c++) {
    const j = order[c]!;
    F.copyWithin(uk + c * M, ub + j * N, ub + j * N + N);
    if (M > N) F.fill(0, uk + c * M + N, uk + (c + 1) * M);
    F.copyWithin(vk + c * N, vb + j * N, vb + j * N + N);
  }
  if (M > N) applyQ(h, w, M, M, N, tau, uk, 1, M, k, false);
  return { u: uk, s, v: vk };
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

/** Options of {@link gramSvd}. */
export interface GramSvdOptions {
  /**
   * One extra half power step against A (two more thin products) for a more accurate subspace:
   * `'auto'` (default) does it when σ_k < 1e-4·σ_1, where the Gram matrix's rounding
   * (≈ ε·σ_1²) starts to blur the trailing directions; `true`/`false` force it.
   */
  refine?: boolean | 'auto';
}

/** Below this σ_k/σ_1, 'auto' refinement of {@link gramSvd} kicks in. */
const REFINE_BELOW = 1e-4;
/** From this σ_k/σ_1 up, the Rayleigh–Ritz step goes through the k×k Gram matrix of Y. */
const FAST_RR_MIN = 1e-2;

/**
 * Rayleigh–Ritz through YᵀY (all GEMM, no tall QR): YᵀY = W·Λ·Wᵀ, V = Y·W·Λ^(-1/2), one
 * first-order re-orthogonalization V ← V·(3I − VᵀV)/2, U = U₀·W, σ = √λ. The product
 * U·Σ·Vᵀ equals U₀·U₀ᵀ·X whatever W is, and with σ_k ≥ 1e-2·σ_1 the squaring costs at most
 * ε·10⁴ in the singular values and in VᵀV before the correction. Returns null if YᵀY is not
 * numerically positive definite (the caller then takes the QR route).
 */
function fastRayleighRitz(h: Heap, y: number, q: number, k: number, u0: Matrix): { v: number; U: Matrix; s: Float64Array } | null {
  const mm = h.alloc(k * k);
  const v = h.alloc(q * k);
  const v2 = h.alloc(q * k);
  h.reserve(GEMM_SCRATCH);
  let F = h.f64;
  gemm(k, k, q, 1, F, y, q, 1, F, y, 1, q, 0, F, mm, 1, k, true);
  const e = symEigArena(h, mm, k, k);
  const lmin = e.values[k - 1]!;
  if (!(lmin > 0) || !(lmin >= FAST_RR_MIN * FAST_RR_MIN * 0.25 * e.values[0]!)) return null;
  const s = e.values.map(Math.sqrt);
  const ws = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let c = 0; c < k; c++) ws[i * k + c] = e.vectors.data[i * k + c]! / s[c]!;
  F = h.f64;
  gemm(q, k, k, 1, F, y, 1, q, ws, 0, k, 1, 0, F, v, 1, q);
  // M = VᵀV ≈ I; V ← V·(3I − M)/2
  gemm(k, k, q, 1, F, v, q, 1, F, v, 1, q, 0, F, mm, 1, k, true);
  const corr = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      const mij = F[mm + i + j * k]!; // column-major lower
      const c = (i === j ? 3 - mij : -mij) / 2;
      corr[i * k + j] = c;
      corr[j * k + i] = c;
    }
  }
  gemm(q, k, k, 1, F, v, 1, q, corr, 0, k, 1, 0, F, v2, 1, q);
  F.copyWithin(v, v2, v2 + q * k);
  return { v, U: matmul(u0, e.vectors), s };
}

/**
 * The leading k singular triplets through the Gram matrix: G = A·Aᵀ (or Aᵀ·A, whichever is
 * smaller; one triangle, by GEMM), its k leading eigenpairs (tridiagonal QL + inverse iteration),
 * then a Rayleigh–Ritz step against A: Y = Aᵀ·U₀ and the exact SVD of U₀ᵀ·A, through the k×k
 * matrix YᵀY when σ_k ≥ 1e-2·σ_1 (all GEMM), through a Householder QR of Y otherwise.
 * Singular values come out as accurate as the subspace allows (relative error about
 * ε·(σ_1/σ_i)², far below 1e-10 for the leading part of a decaying spectrum); the rank-k
 * reconstruction error matches the exact one to rounding while σ_k ≥ 1e-5·σ_1.
 * See {@link GramSvdOptions.refine} for steeper spectra; {@link truncatedSvd} switches to the
 * exact SVD there.
 */
export function gramSvd(a: Matrix, k: number, opts: GramSvdOptions = {}): Svd {
  checkRank(k, 'gramSvd');
  return gramCore(a, k, opts.refine ?? 'auto', 0)!;
}

/**
 * The Gram path; returns null (after the eigensolve, before the rest of the work) when
 * σ_k < minRatio·σ_1, where the caller prefers the exact SVD.
 */
function gramCore(a: Matrix, k: number, refineOpt: boolean | 'auto', minRatio: number): Svd | null {
  const m = a.rows;
  const n = a.cols;
  const kk = Math.min(k, m, n);
  if (kk === 0) return { u: matrix(m, 0), s: new Float64Array(0), vt: matrix(0, n) };
  checkFinite(a, 'the matrix passed to the Gram SVD');
  const rowsSide = m <= n;
  // work on X = A (rowsSide) or X = Aᵀ, so that X is p×q with p ≤ q, G = X·Xᵀ (p×p)
  const p = rowsSide ? m : n;
  const q = rowsSide ? n : m;
  const [xRs, xCs] = rowsSide ? [n, 1] : [1, n];
  const A = a.data;
  return withScratch((h) => {
    // G (lower triangle) straight into the arena
    const g = h.alloc(p * p);
    h.reserve(GEMM_SCRATCH);
    gemm(p, p, q, 1, A, 0, xRs, xCs, A, 0, xCs, xRs, 0, h.f64, g, 1, p, true);
    // (written column-major lower = row-major upper; symEigArena reads the column-major lower)
    const eig = symEigArena(h, g, p, kk);
    const u0 = eig.vectors; // p×kk row-major
    const lam1 = Math.max(eig.values[0]!, 0);
    const lamk = Math.max(eig.values[kk - 1]!, 0);
    if (!Number.isFinite(lam1) || (minRatio > 0 && !(lamk >= minRatio * minRatio * lam1 && lam1 > 0))) {
      if (minRatio > 0) return null;
      if (!Number.isFinite(lam1)) fail(ErrorCodes.NUMERIC, 'the Gram matrix overflowed (entries above ~1e154)', 'use truncatedSvd or svd, which scale');
    }
    const refine = refineOpt === 'auto' ? lamk < REFINE_BELOW * REFINE_BELOW * lam1 : refineOpt;
    // Y = Xᵀ·U₀ (q×kk, column-major)
    const y = h.alloc(q * kk);
    h.reserve(GEMM_SCRATCH);
    gemm(q, kk, p, 1, A, 0, xCs, xRs, u0.data, 0, kk, 1, 0, h.f64, y, 1, q);
    let v: number;
    let U: Matrix;
    let s: Float64Array;
    const fast = !refine && lam1 > 0 && lamk >= FAST_RR_MIN * FAST_RR_MIN * lam1 ? fastRayleighRitz(h, y, q, kk, u0) : null;
    if (fast) {
      ({ v, U, s } = fast);
    } else {
      // Y = Q_y·R_y; SVD of the small R_y = W·Σ·Zᵀ gives Xᵀ·U₀ = (Q_y·W)·Σ·Zᵀ
      const tauY = new Float64Array(kk);
      geqrf(h, y, q, q, kk, tauY);
      const rs = h.alloc(kk * kk);
      let F = h.f64;
      for (let j = 0; j < kk; j++) {
        const col = rs + j * kk;
        F.fill(0, col, col + kk);
        for (let i = 0; i <= j; i++) F[col + i] = F[y + j * q + i]!;
      }
      const small = tallSvd(h, rs, kk, kk, kk, true);
      // V = Q_y·[W; 0]   (q×kk column-major)
      v = h.alloc(q * kk);
      F = h.f64;
      for (let c = 0; c < kk; c++) {
        F.copyWithin(v + c * q, small.u + c * kk, small.u + (c + 1) * kk);
        F.fill(0, v + c * q + kk, v + (c + 1) * q);
      }
      applyQ(h, y, q, q, kk, tauY, v, 1, q, kk, false);
      // U = U₀·Z   (p×kk row-major)
      const zrow = new Float64Array(kk * kk);
      F = h.f64;
      fromColMajor(F, small.v, kk, kk, kk, zrow, 0, kk);
      U = matmul(u0, matrix(kk, kk, zrow));
      s = small.s;
    }
    let F: Float64Array;
    if (refine) {
      // C = X·V (p×kk); C = Uc·Σ·Wcᵀ; then U = Uc, V ← V·Wc
      const c = h.alloc(p * kk);
      h.reserve(GEMM_SCRATCH);
      F = h.f64;
      gemm(p, kk, q, 1, A, 0, xRs, xCs, F, v, 1, q, 0, F, c, 1, p);
      const cs = tallSvd(h, c, p, kk, kk, true);
      F = h.f64;
      U = matrix(p, kk);
      fromColMajor(F, cs.u, p, p, kk, U.data, 0, kk);
      const v2 = h.alloc(q * kk);
      h.reserve(GEMM_SCRATCH);
      F = h.f64;
      gemm(q, kk, kk, 1, F, v, 1, q, F, cs.v, 1, kk, 0, F, v2, 1, q);
      F.copyWithin(v, v2, v2 + q * kk);
      s = cs.s;
    }
    F = h.f64;
    if (rowsSide) {
      const vt = matrix(kk, n);
      vt.data.set(F.subarray(v, v + kk * q));
      return { u: U, s, vt };
    }
    // X = Aᵀ: A = V·Σ·Uᵀ
    const u = matrix(m, kk);
    fromColMajor(F, v, q, q, kk, u.data, 0, kk);
    const vt = matrix(kk, n);
    for (let i = 0; i < p; i++) for (let c = 0; c < kk; c++) vt.data[c * n + i] = U.data[i * kk + c]!;
    return { u, s, vt };
  });
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
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011): a Gaussian sketch with
 * `oversample` extra columns, `powerIters` power iterations each re-orthonormalized by QR, then
 * an exact SVD of the small projected matrix. Its error depends on the spectrum: it matches the
 * exact top-k closely only when σ_{k+oversample}/σ_k is small (raise `powerIters` otherwise).
 */
export function randomizedSvd(a: Matrix, k: number, opts: RandomizedSvdOptions = {}): Svd {
  const m = a.rows;
  const n = a.cols;
  const kmax = Math.min(m, n);
  checkRank(k, 'randomizedSvd');
  const kk = Math.min(k, kmax);
  const l = Math.min(kmax, kk + (opts.oversample ?? 10));
  if (l >= kmax) return svd(a, { k: kk });
  checkFinite(a, 'the matrix passed to randomizedSvd');
  const rng = opts.rng ?? new Rng(0x5eed);
  const omega = rng.normalArray(n * l); // n×l, row-major
  const iters = opts.powerIters ?? 2;
  const A = a.data;
  return withScratch((h) => {
    // everything column-major in the arena: Q (m×l), Z (n×l), and their QR scratch
    const q = h.alloc(m * l);
    const z = h.alloc(n * l);
    const w = h.alloc(Math.max(m, n) * l);
    const tau = new Float64Array(l);
    h.reserve(GEMM_SCRATCH);
    // w ← (W = Q·R), then dst ← Q
    const orth = (rows: number, dst: number) => {
      geqrf(h, w, rows, rows, l, tau);
      orgqr(h, w, rows, rows, l, tau, dst, rows);
    };
    gemm(m, l, n, 1, A, 0, n, 1, omega, 0, l, 1, 0, h.f64, w, 1, m); // A·Ω
    orth(m, q);
    for (let it = 0; it < iters; it++) {
      let F = h.f64;
      gemm(n, l, m, 1, A, 0, 1, n, F, q, 1, m, 0, F, w, 1, n); // Aᵀ·Q
      orth(n, z);
      F = h.f64;
      gemm(m, l, n, 1, A, 0, n, 1, F, z, 1, n, 0, F, w, 1, m); // A·Z
      orth(m, q);
    }
    // Bᵀ = Aᵀ·Q (n×l, tall) = W·Σ·Yᵀ  ⇒  A ≈ Q·B = (Q·Y)·Σ·Wᵀ
    let F = h.f64;
    gemm(n, l, m, 1, A, 0, 1, n, F, q, 1, m, 0, F, w, 1, n);
    const f = tallSvd(h, w, n, l, kk, true);
    F = h.f64;
    const u = matrix(m, kk);
    gemm(m, kk, l, 1, F, q, 1, m, F, f.v, 1, l, 0, u.data, 0, kk, 1);
    const vt = matrix(kk, n);
    vt.data.set(F.subarray(f.u, f.u + kk * n));
    return { u, s: f.s, vt };
  });
}

/** Options of {@link truncatedSvd}. */
export interface TruncatedSvdOptions extends RandomizedSvdOptions, GramSvdOptions {
  /**
   * `'exact'` ({@link svd}), `'gram'` ({@link gramSvd}), `'randomized'` ({@link randomizedSvd}),
   * or `'auto'` (default): exact when min(m, n) ≤ 32 (cheap there), otherwise the Gram path,
   * unless its eigenvalues show σ_k < 1e-5·σ_1, in which case it switches to the exact SVD
   * (measured: above that ratio the Gram path's singular values agree with the exact ones to
   * ~1e-15·σ_1 and its rank-k reconstruction error to ~1e-13 relative; below it the Gram
   * matrix's rounding, ≈ ε·σ_1², starts to show in the trailing directions). `'auto'` never
   * picks the randomized method: with the default two power iterations its error depends on the
   * spectrum, and callers (TT/TR/Tucker) compare their reconstruction error with exact SVDs to
   * 1e-8; the Gram path matches them to rounding at about a third of the cost of an exact SVD.
   */
  method?: 'auto' | 'exact' | 'gram' | 'randomized';
}

/** Up to this min(m, n), 'auto' uses the exact SVD. */
const AUTO_EXACT_BELOW = 32;
/** 'auto' leaves the Gram path for the exact SVD when σ_k < AUTO_GRAM_MIN·σ_1. */
const AUTO_GRAM_MIN = 1e-5;

/** The leading k singular triplets, choosing the algorithm by `method` (see {@link TruncatedSvdOptions}). */
export function truncatedSvd(a: Matrix, k: number, opts: TruncatedSvdOptions = {}): Svd {
  checkRank(k, 'truncatedSvd');
  const method = opts.method ?? 'auto';
  const kmax = Math.min(a.rows, a.cols);
  if (method === 'randomized') return randomizedSvd(a, k, opts);
  if (method === 'gram') return gramSvd(a, k, opts);
  if (method === 'exact' || kmax <= AUTO_EXACT_BELOW || k === 0) return svd(a, { k });
  return gramCore(a, k, opts.refine ?? false, AUTO_GRAM_MIN) ?? svd(a, { k });
}
