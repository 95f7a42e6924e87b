/**
 * Householder reflectors on column-major blocks of the numerics arena: generation, blocked QR
 * (compact WY: the trailing update is two GEMMs), forming and applying Q. Shared by QR, the
 * tridiagonal reduction of the eigensolver and the bidiagonal reduction of the SVD.
 *
 * Conventions (LAPACK's): a reflector is H = I − τ·v·vᵀ with v[0] = 1 implied and v[1..] stored
 * below the diagonal; a block of b reflectors is Q = H_0⋯H_{b−1} = I − V·T·Vᵀ with T upper
 * triangular. All offsets and strides are in doubles, into `heap().f64`.
 *
 * @module
 */
import { gemm, GEMM_SCRATCH } from './gemm.js';
import type { Heap } from './heap.js';

/** Panel width of the blocked QR factorization. */
export const NB = 32;
/**
 * Reflectors per block when Q is applied or formed: wider blocks make the GEMMs more efficient,
 * but building T costs O(b³) scalar work, which only pays off on large blocks.
 */
export function qBlock(rows: number, nc: number): number {
  return rows * nc >= 1 << 18 ? 64 : 32;
}

/** Euclidean norm of F[x..x+n), safe from overflow and underflow. */
export function nrm2(h: Heap, x: number, n: number): number {
  if (n <= 0) return 0;
  const ss = h.l1.dot(x, x, n);
  if (ss > 1e-290 && ss < 1e290) return Math.sqrt(ss);
  const F = h.f64;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(F[x + i]!));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = F[x + i]! / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

/**
 * Generates H = I − τ·v·vᵀ with H·x = β·e₁ for x = F[x0 .. x0+n) (stride 1): writes β over x[0]
 * and v[1..] over x[1..]; returns τ (0 when x[1..] is zero, H = I).
 */
export function larfg(h: Heap, x0: number, n: number): number {
  if (n <= 1) return 0;
  const xnorm = nrm2(h, x0 + 1, n - 1);
  if (xnorm === 0) return 0;
  const F = h.f64;
  const alpha = F[x0]!;
  const beta = (alpha >= 0 ? -1 : 1) * Math.hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  h.l1.scal(n - 1, 1 / (alpha - beta), x0 + 1);
  F[x0] = beta;
  return tau;
}

/**
 * Applies H = I − τ·v·vᵀ (v = [1, F[v0+1 .. v0+n)]) from the left to `nc` columns of a
 * column-major block whose first column starts at c0 (n rows, column stride ld).
 */
export function larfLeft(h: Heap, tau: number, v0: number, n: number, c0: number, ld: number, nc: number): void {
  if (tau === 0 || nc <= 0) return;
  const l1 = h.l1;
  const F = h.f64;
  for (let q = 0; q < nc; q++) {
    const y = c0 + q * ld;
    const s = tau * (F[y]! + l1.dot(v0 + 1, y + 1, n - 1));
    F[y] = F[y]! - s;
    l1.axpy(n - 1, -s, v0 + 1, y + 1);
  }
}

/** Copies the leading b×b block of b reflectors stored QR-style at src (column stride lds) as an explicit unit lower triangle (b×b, ld = b). */
export function copyV1(h: Heap, src: number, lds: number, b: number, dst: number): void {
  const F = h.f64;
  for (let c = 0; c < b; c++) {
    const d = dst + c * b;
    const s = src + c * lds;
    for (let i = 0; i < c; i++) F[d + i] = 0;
    F[d + c] = 1;
    for (let i = c + 1; i < b; i++) F[d + i] = F[s + i]!;
  }
}

/**
 * The triangular factor T (b×b, row-major, upper) of Q = H_0⋯H_{b−1} = I − V·T·Vᵀ for b
 * reflectors stored QR-style at src (column stride lds, `rows` rows), τ = tau[t0 .. t0+b).
 * V = [V1; V2]: V1 is the explicit unit lower triangle at v1 (b×b), V2 is read in place.
 * `g` is b×b arena scratch.
 */
export function larft(h: Heap, src: number, lds: number, rows: number, b: number, v1: number, tau: Float64Array, t0: number, T: Float64Array, g: number): void {
  const F = h.f64;
  // G = V2ᵀV2 (lower triangle) + V1ᵀV1
  gemm(b, b, rows - b, 1, F, src + b, lds, 1, F, src + b, 1, lds, 0, F, g, b, 1, true);
  gemm(b, b, b, 1, F, v1, b, 1, F, v1, 1, b, 1, F, g, b, 1, true);
  T.fill(0, 0, b * b);
  for (let i = 0; i < b; i++) {
    const ti = tau[t0 + i]!;
    T[i * b + i] = ti;
    if (ti === 0) continue;
    for (let r = 0; r < i; r++) {
      let s = 0;
      for (let q = r; q < i; q++) s += T[r * b + q]! * F[g + i * b + q]!;
      T[r * b + i] = -ti * s;
    }
  }
}

/**
 * C ← (I − V·op(T)·Vᵀ)·C, op(T) = T (`trans` false: apply Q) or Tᵀ (`trans` true: apply Qᵀ),
 * for C rows×nc at c (strides cRs, cCs); V as in {@link larft}. `y` is b×nc arena scratch.
 */
export function larfb(
  h: Heap,
  src: number,
  lds: number,
  rows: number,
  b: number,
  v1: number,
  T: Float64Array,
  c: number,
  cRs: number,
  cCs: number,
  nc: number,
  trans: boolean,
  y: number,
): void {
  if (nc <= 0 || rows <= 0) return;
  let F = h.f64;
  const r2 = rows - b;
  const c2 = c + b * cRs;
  // Y = V2ᵀ·C2 + V1ᵀ·C1
  gemm(b, nc, r2, 1, F, src + b, lds, 1, F, c2, cRs, cCs, 0, F, y, nc, 1);
  gemm(b, nc, b, 1, F, v1, b, 1, F, c, cRs, cCs, 1, F, y, nc, 1);
  F = h.f64;
  const l1 = h.l1;
  if (!trans) {
    for (let r = 0; r < b; r++) {
      const yr = y + r * nc;
      l1.scal(nc, T[r * b + r]!, yr);
      for (let q = r + 1; q < b; q++) {
        const t = T[r * b + q]!;
        if (t !== 0) l1.axpy(nc, t, y + q * nc, yr);
      }
    }
  } else {
    for (let r = b - 1; r >= 0; r--) {
      const yr = y + r * nc;
      l1.scal(nc, T[r * b + r]!, yr);
      for (let q = 0; q < r; q++) {
        const t = T[q * b + r]!;
        if (t !== 0) l1.axpy(nc, t, y + q * nc, yr);
      }
    }
  }
  // C1 −= V1·Y ; C2 −= V2·Y
  gemm(b, nc, b, -1, F, v1, 1, b, F, y, nc, 1, 1, F, c, cRs, cCs);
  gemm(r2, nc, b, -1, F, src + b, 1, lds, F, y, nc, 1, 1, F, c2, cRs, cCs);
}

/**
 * Blocked Householder QR in place of the column-major m×n block at a (ld = lda): R in the upper
 * triangle, the reflectors below, τ in `tau` (length min(m, n)).
 */
export function geqrf(h: Heap, a: number, lda: number, m: number, n: number, tau: Float64Array): void {
  const k = Math.min(m, n);
  if (k === 0) return;
  const v1 = h.alloc(NB * NB);
  const g = h.alloc(NB * NB);
  const y = h.alloc(NB * Math.max(1, n));
  h.reserve(GEMM_SCRATCH);
  const T = new Float64Array(NB * NB);
  for (let j = 0; j < k; j += NB) {
    const b = Math.min(NB, k - j);
    for (let c = j; c < j + b; c++) {
      const x0 = a + c * lda + c;
      tau[c] = larfg(h, x0, m - c);
      larfLeft(h, tau[c]!, x0, m - c, x0 + lda, lda, j + b - c - 1);
    }
    if (j + b < n) {
      const src = a + j * lda + j;
      copyV1(h, src, lda, b, v1);
      larft(h, src, lda, m - j, b, v1, tau, j, T, g);
      larfb(h, src, lda, m - j, b, v1, T, a + (j + b) * lda + j, 1, lda, n - j - b, true, y);
    }
  }
}

/**
 * Applies Q = H_0⋯H_{k−1} (reflectors stored QR-style at a, ld = lda, m rows) or Qᵀ (`trans`)
 * from the left to the m×nc block C at c (strides cRs, cCs).
 */
export function applyQ(
  h: Heap,
  a: number,
  lda: number,
  m: number,
  k: number,
  tau: Float64Array,
  c: number,
  cRs: number,
  cCs: number,
  nc: number,
  trans: boolean,
): void {
  if (k <= 0 || nc <= 0) return;
  const QB = qBlock(m, nc);
  const v1 = h.alloc(QB * QB);
  const g = h.alloc(QB * QB);
  const y = h.alloc(QB * nc);
  h.reserve(GEMM_SCRATCH);
  const T = new Float64Array(QB * QB);
  const last = Math.floor((k - 1) / QB) * QB;
  for (let step = 0; step <= last; step += QB) {
    const j = trans ? step : last - step;
    const b = Math.min(QB, k - j);
    const src = a + j * lda + j;
    copyV1(h, src, lda, b, v1);
    larft(h, src, lda, m - j, b, v1, tau, j, T, g);
    larfb(h, src, lda, m - j, b, v1, T, c + j * cRs, cRs, cCs, nc, trans, y);
  }
}

/**
 * Forms the first `k` columns of Q = H_0⋯H_{k−1} (reflectors at a, ld = lda, m rows) as a
 * column-major m×k block at q (ld = ldq). Block j only touches Q[j:, j:].
 */
export function orgqr(h: Heap, a: number, lda: number, m: number, k: number, tau: Float64Array, q: number, ldq: number): void {
  const F = h.f64;
  for (let c = 0; c < k; c++) {
    F.fill(0, q + c * ldq, q + c * ldq + m);
    F[q + c * ldq + c] = 1;
  }
  if (k === 0) return;
  const QB = qBlock(m, k);
  const v1 = h.alloc(QB * QB);
  const g = h.alloc(QB * QB);
  const y = h.alloc(QB * k);
  h.reserve(GEMM_SCRATCH);
  const T = new Float64Array(QB * QB);
  for (let j = Math.floor((k - 1) / QB) * QB; j >= 0; j -= QB) {
    const b = Math.min(QB, k - j);
    const src = a + j * lda + j;
    copyV1(h, src, lda, b, v1);
    larft(h, src, lda, m - j, b, v1, tau, j, T, g);
    larfb(h, src, lda, m - j, b, v1, T, q + j * ldq + j, 1, ldq, k - j, false, y);
  }
}

/** Copies a row-major r×c matrix (from src at so, row stride sld) into the arena column-major (ld = dld). */
export function toColMajor(src: Float64Array, so: number, sld: number, r: number, c: number, F: Float64Array, d: number, dld: number): void {
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(r, i0 + B);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(c, j0 + B);
      for (let j = j0; j < j1; j++) {
        const dc = d + j * dld;
        for (let i = i0; i < i1; i++) F[dc + i] = src[so + i * sld + j]!;
      }
    }
  }
}

/** Copies a column-major r×c arena block (at s, ld = sld) into a row-major array (at d, row stride dld). */
export function fromColMajor(F: Float64Array, s: number, sld: number, r: number, c: number, dst: Float64Array, d: number, dld: number): void {
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(r, i0 + B);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(c, j0 + B);
      for (let i = i0; i < i1; i++) {
        const dr = d + i * dld;
        for (let j = j0; j < j1; j++) dst[dr + j] = F[s + j * sld + i]!;
      }
    }
  }
}
