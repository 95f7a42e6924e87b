/**
 * Bidiagonal machinery of the SVD: Householder reduction to upper bidiagonal form (Golub–Kahan)
 * and the implicit-shift QR iteration on the bidiagonal, with the plane rotations accumulated
 * into the singular-vector blocks. Arena-resident, column-major, offsets in doubles.
 *
 * @module
 */
import { ErrorCodes, fail } from './errors.js';
import { larfg, larfLeft } from './householder.js';
import type { Heap } from './heap.js';

const EPS = 2.220446049250313e-16;

/**
 * Reduces the column-major m×n block at a (m ≥ n, ld = lda) to upper bidiagonal form
 * B = Q_Bᵀ·A·P_B: diagonal d (n), super-diagonal e (n−1). The left reflectors stay below the
 * diagonal (QR-style, τ in tauq); the right reflector i (acting on coordinates i+1..n−1) stays in
 * row i right of the super-diagonal (τ in taup). `u` and `w` are n and m doubles of arena scratch.
 */
export function gebrd(
  h: Heap,
  a: number,
  lda: number,
  m: number,
  n: number,
  d: Float64Array,
  e: Float64Array,
  tauq: Float64Array,
  taup: Float64Array,
  u: number,
  w: number,
): void {
  const l1 = h.l1;
  const F = h.f64;
  for (let i = 0; i < n; i++) {
    const x0 = a + i * lda + i;
    tauq[i] = larfg(h, x0, m - i);
    d[i] = F[x0]!;
    larfLeft(h, tauq[i]!, x0, m - i, x0 + lda, lda, n - i - 1);
    if (i < n - 1) {
      const len = n - i - 1;
      // the row A[i, i+1:n] into contiguous scratch
      for (let t = 0; t < len; t++) F[u + t] = F[a + (i + 1 + t) * lda + i]!;
      const tp = larfg(h, u, len);
      taup[i] = tp;
      e[i] = F[u]!;
      if (tp !== 0) {
        F[u] = 1;
        // A[i+1:m, i+1:n] ← A·(I − τ·u·uᵀ): w = A·u, then A −= τ·w·uᵀ
        const rows = m - i - 1;
        if (rows > 0) {
          F.fill(0, w, w + rows);
          for (let t = 0; t < len; t++) {
            const ut = F[u + t]!;
            if (ut !== 0) l1.axpy(rows, ut, a + (i + 1 + t) * lda + i + 1, w);
          }
          for (let t = 0; t < len; t++) {
            const ut = F[u + t]!;
            if (ut !== 0) l1.axpy(rows, -tp * ut, w, a + (i + 1 + t) * lda + i + 1);
          }
        }
      }
      F[a + (i + 1) * lda + i] = e[i]!;
      for (let t = 1; t < len; t++) F[a + (i + 1 + t) * lda + i] = F[u + t]!;
    } else if (i < taup.length) taup[i] = 0;
  }
}

/**
 * Copies the right reflectors of {@link gebrd} (rows of the n×n block at a, ld = lda) into
 * QR-style storage: an (n−1)×(n−1) column-major block at dst (ld = n−1), so that
 * P_B = diag(1, Q(dst, taup)).
 */
export function rightReflectors(h: Heap, a: number, lda: number, n: number, dst: number): void {
  const F = h.f64;
  const r = n - 1;
  for (let i = 0; i < r; i++) {
    const col = dst + i * r;
    for (let t = 1; i + t < r; t++) F[col + i + t] = F[a + (i + 1 + t) * lda + i]!;
  }
}

/** √(a² + b²) without the cost of Math.hypot in the common range. */
function hyp(a: number, b: number): number {
  const s = a * a + b * b;
  return s > 1e-290 && s < 1e290 ? Math.sqrt(s) : Math.hypot(a, b);
}

/**
 * Singular values of the upper bidiagonal (d, e) by implicit-shift QR (Golub–Kahan steps with
 * Wilkinson shifts; zero diagonals chased out first). When `u`/`v` are ≥ 0 the rotations are
 * accumulated into the columns of the column-major blocks at u (uRows×n) and v (vRows×n).
 * On return d holds the singular values, non-negative and unsorted (signs moved into v).
 */
export function bdsqr(h: Heap | null, d: Float64Array, e: Float64Array, n: number, u = -1, uRows = 0, v = -1, vRows = 0): void {
  if (n === 0) return;
  const l1 = h?.l1;
  const rotU = l1 && u >= 0 ? (j: number, k: number, c: number, s: number) => l1.rot(uRows, u + j * uRows, u + k * uRows, c, s) : null;
  const rotV = l1 && v >= 0 ? (j: number, k: number, c: number, s: number) => l1.rot(vRows, v + j * vRows, v + k * vRows, c, s) : null;
  // scale to max entry 1 so that squares neither overflow nor underflow
  let bmax = 0;
  for (let i = 0; i < n; i++) bmax = Math.max(bmax, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
  if (bmax === 0) return;
  if (!Number.isFinite(bmax)) fail(ErrorCodes.NUMERIC, 'SVD of a matrix with non-finite entries (bidiagonal QR)');
  for (let i = 0; i < n; i++) d[i] = d[i]! / bmax;
  for (let i = 0; i < n - 1; i++) e[i] = e[i]! / bmax;
  const floor = EPS; // absolute threshold relative to ‖B‖ = O(1)
  const negligibleE = (i: number) => {
    const ei = Math.abs(e[i]!);
    return ei <= EPS * (Math.abs(d[i]!) + Math.abs(d[i + 1]!)) || ei <= floor;
  };
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(d[i]!) || (i < n - 1 && !Number.isFinite(e[i]!))) fail(ErrorCodes.NUMERIC, 'SVD of a matrix with non-finite entries (bidiagonal QR)');
  }
  let steps = 0;
  const maxSteps = 30 * n * n + 100;
  let hi = n - 1;
  while (hi > 0) {
    if (negligibleE(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !negligibleE(lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0;
    steps += hi - lo + 1;
    if (steps > maxSteps) fail(ErrorCodes.NUMERIC, 'SVD did not converge (bidiagonal QR)');
    // a negligible diagonal entry: chase its row (or column) out, which splits the block
    let zk = -1;
    for (let k = lo; k <= hi; k++) {
      if (Math.abs(d[k]!) <= floor) {
        zk = k;
        break;
      }
    }
    if (zk >= 0) {
      d[zk] = 0;
      if (zk < hi) {
        let f = e[zk]!;
        e[zk] = 0;
        for (let j = zk + 1; j <= hi && f !== 0; j++) {
          const r = hyp(d[j]!, f);
          const c = r === 0 ? 1 : d[j]! / r;
          const s = r === 0 ? 0 : f / r;
          d[j] = r;
          if (j < hi) {
            f = -s * e[j]!;
            e[j] = c * e[j]!;
          }
          rotU?.(j, zk, c, s);
        }
      } else {
        let f = e[hi - 1]!;
        e[hi - 1] = 0;
        for (let j = hi - 1; j >= lo && f !== 0; j--) {
          const r = hyp(d[j]!, f);
          const c = r === 0 ? 1 : d[j]! / r;
          const s = r === 0 ? 0 : f / r;
          d[j] = r;
          if (j > lo) {
            f = -s * e[j - 1]!;
            e[j - 1] = c * e[j - 1]!;
          }
          rotV?.(j, hi, c, s);
        }
      }
      continue;
    }
    // Wilkinson shift from the trailing 2×2 of BᵀB
    const dm = d[hi - 1]!;
    const dn = d[hi]!;
    const em = e[hi - 1]!;
    const el = hi - 2 >= lo ? e[hi - 2]! : 0;
    const t11 = dm * dm + el * el;
    const t22 = dn * dn + em * em;
    const t12 = dm * em;
    const delta = (t11 - t22) / 2;
    const den = Math.abs(delta) + Math.hypot(delta, t12);
    const mu = den === 0 ? t22 : t22 - (t12 * t12) / (delta >= 0 ? den : -den);
    let f = d[lo]! * d[lo]! - mu;
    let g = d[lo]! * e[lo]!;
    for (let k = lo; k < hi; k++) {
      let r = hyp(f, g);
      let c = r === 0 ? 1 : f / r;
      let s = r === 0 ? 0 : g / r;
      if (k > lo) e[k - 1] = r;
      f = c * d[k]! + s * e[k]!;
      e[k] = c * e[k]! - s * d[k]!;
      g = s * d[k + 1]!;
      d[k + 1] = c * d[k + 1]!;
      rotV?.(k, k + 1, c, s);
      r = hyp(f, g);
      c = r === 0 ? 1 : f / r;
      s = r === 0 ? 0 : g / r;
      d[k] = r;
      f = c * e[k]! + s * d[k + 1]!;
      d[k + 1] = c * d[k + 1]! - s * e[k]!;
      if (k < hi - 1) {
        g = s * e[k + 1]!;
        e[k + 1] = c * e[k + 1]!;
      }
      rotU?.(k, k + 1, c, s);
    }
    e[hi - 1] = f;
  }
  for (let i = 0; i < n; i++) {
    if (d[i]! < 0) {
      d[i] = -d[i]!;
      if (h && v >= 0) {
        const F = h.f64;
        const col = v + i * vRows;
        for (let r = 0; r < vRows; r++) F[col + r] = -F[col + r]!;
      }
    }
    d[i] = d[i]! * bmax;
  }
}
