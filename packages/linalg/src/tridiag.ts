/**
 * Symmetric tridiagonal machinery of the eigensolver: Householder reduction of a symmetric
 * matrix to tridiagonal form, the implicit QL iteration (with or without eigenvectors), and
 * inverse iteration for selected eigenvectors. Arena-resident, column-major, offsets in doubles.
 *
 * @module
 */
import { ErrorCodes, fail } from './errors.js';
import { larfg } from './householder.js';
import type { Heap } from './heap.js';

const EPS = 2.220446049250313e-16;

/** √(a² + b²) without the cost of Math.hypot in the common range. */
function hyp(a: number, b: number): number {
  const s = a * a + b * b;
  return s > 1e-290 && s < 1e290 ? Math.sqrt(s) : Math.hypot(a, b);
}

/**
 * Reduces the symmetric n×n matrix at a (column-major, lower triangle read) to tridiagonal
 * T = Qᵀ·A·Q: diagonal in d, off-diagonal in e[0..n−2]. Q = diag(1, H_0⋯H_{n−2}) with the
 * reflectors stored QR-style in the block starting at A[1, 0] (τ in tau, length n−1).
 *
 * One pass over the trailing matrix per step: the rank-2 update of step i−1 is applied to each
 * column and, in the same sweep (fused SIMD kernel), that column's share of step i's symmetric
 * matrix-vector product is taken, halving the memory traffic of the textbook two-pass form.
 * (A blocked, LAPACK-latrd-style variant, half the work as GEMM, measured slower here.)
 */
export function sytrd(h: Heap, a: number, n: number, d: Float64Array, e: Float64Array, tau: Float64Array): void {
  if (n === 0) return;
  // global-row-indexed scratch vectors: the previous step's (v, w) and the current step's
  let vp = h.alloc(n);
  let wp = h.alloc(n);
  let vc = h.alloc(n);
  let wc = h.alloc(n);
  const l1 = h.l1;
  const F = h.f64;
  let pending = false;
  for (let i = 0; i < n - 1; i++) {
    const col = a + i * n;
    if (pending) l1.axpy2(n - i, -F[wp + i]!, vp + i, -F[vp + i]!, wp + i, col + i);
    d[i] = F[col + i]!;
    const len = n - i - 1;
    const x0 = col + i + 1; // A[i+1, i]
    const t = larfg(h, x0, len);
    tau[i] = t;
    e[i] = F[x0]!;
    // v (unit first entry) into vc, zero wc
    F[vc + i + 1] = 1;
    for (let r = i + 2; r < n; r++) F[vc + r] = F[col + r]!;
    F.fill(0, wc + i + 1, wc + n);
    for (let j = i + 1; j < n; j++) {
      const p = a + j * n + j;
      if (pending) F[p] = F[p]! - 2 * F[vp + j]! * F[wp + j]!;
      const vj = F[vc + j]!;
      const m = n - j - 1;
      const s = pending
        ? l1.rank2dot(m, -F[wp + j]!, vp + j + 1, -F[vp + j]!, wp + j + 1, p + 1, vc + j + 1, wc + j + 1, vj)
        : l1.dotaxpy(m, p + 1, vc + j + 1, wc + j + 1, vj);
      F[wc + j] += F[p]! * vj + s;
    }
    // w = τ·A22·v − ½τ²(vᵀA22v)·v ; the update A22 −= v·wᵀ + w·vᵀ is left pending
    l1.scal(len, t, wc + i + 1);
    l1.axpy(len, -0.5 * t * l1.dot(wc + i + 1, vc + i + 1, len), vc + i + 1, wc + i + 1);
    pending = true;
    [vp, vc] = [vc, vp];
    [wp, wc] = [wc, wp];
  }
  const last = a + (n - 1) * n + (n - 1);
  if (pending) F[last] = F[last]! - 2 * F[vp + n - 1]! * F[wp + n - 1]!;
  d[n - 1] = F[last]!;
}

/**
 * Implicit QL with Wilkinson-like shifts on the tridiagonal (d, e); e must have length ≥ n (e[n−1]
 * is scratch). On return d holds the eigenvalues (unsorted). With z ≥ 0, the plane rotations are
 * applied to the columns of the column-major block at z (`zRows` rows, ld = zRows), so a block
 * holding Q on entry holds Q·(eigenvectors of T) on exit.
 */
export function tql(h: Heap | null, d: Float64Array, e: Float64Array, n: number, z = -1, zRows = 0): void {
  if (n <= 1) return;
  e[n - 1] = 0;
  const l1 = h?.l1;
  // absolute floor: an off-diagonal below eps·‖T‖ moves no eigenvalue by more than rounding does
  let tnorm = 0;
  for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(d[i]!) + Math.abs(e[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0));
  const floor = EPS * tnorm;
  if (!Number.isFinite(tnorm)) fail(ErrorCodes.NUMERIC, 'eigenvalues of a matrix with non-finite entries (tridiagonal QL)');
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        const em = Math.abs(e[m]!);
        if (em <= EPS * dd || em <= floor) break;
      }
      if (m === l) break;
      if (++iter > 60) fail(ErrorCodes.NUMERIC, 'symmetric eigensolver did not converge (tridiagonal QL)');
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = hyp(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let early = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = hyp(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          early = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (l1 && z >= 0) l1.rot(zRows, z + (i + 1) * zRows, z + i * zRows, c, s);
      }
      if (early) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * Eigenvectors of the symmetric tridiagonal (d, e) for the eigenvalues `w` (sorted descending) by
 * inverse iteration; vectors in clusters are re-orthogonalized against each other. Writes them
 * as the columns of the column-major n×w.length block at z (ld = n).
 */
export function stein(h: Heap, d: Float64Array, e: Float64Array, n: number, w: Float64Array, z: number): void {
  const k = w.length;
  const F = h.f64;
  let tnorm = 0;
  for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0));
  if (tnorm === 0) tnorm = 1;
  const ortol = 1e-3 * tnorm;
  const pert = 10 * EPS * tnorm;
  // LU of T − λI with partial pivoting: u0 (diag), u1, u2 (super-diagonals), l (multipliers), piv
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const lm = new Float64Array(n);
  const piv = new Uint8Array(n);
  const x = new Float64Array(n);
  let seed = 0x2545f491;
  let clusterStart = 0;
  let prev = Infinity;
  for (let j = 0; j < k; j++) {
    let lam = w[j]!;
    if (j > 0 && Math.abs(w[j - 1]! - lam) <= ortol) {
      if (prev - lam < pert) lam = prev - pert;
    } else clusterStart = j;
    prev = lam;
    // factor T − lam·I
    let a = d[0]! - lam;
    let b = n > 1 ? e[0]! : 0;
    for (let i = 0; i < n - 1; i++) {
      const sub = e[i]!;
      const nd = d[i + 1]! - lam;
      const ne = i + 1 < n - 1 ? e[i + 1]! : 0;
      if (Math.abs(a) >= Math.abs(sub)) {
        piv[i] = 0;
        const mult = a === 0 ? 0 : sub / a;
        lm[i] = mult;
        u0[i] = a;
        u1[i] = b;
        u2[i] = 0;
        a = nd - mult * b;
        b = ne;
      } else {
        piv[i] = 1;
        const mult = a / sub;
        lm[i] = mult;
        u0[i] = sub;
        u1[i] = nd;
        u2[i] = ne;
        a = b - mult * nd;
        b = -mult * ne;
      }
    }
    u0[n - 1] = a;
    for (let i = 0; i < n; i++) if (Math.abs(u0[i]!) < pert) u0[i] = u0[i]! < 0 ? -pert : pert;
    // random start
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      x[i] = (seed / 4294967296) * 2 - 1;
    }
    const zc = z + j * n;
    for (let it = 0; it < 9; it++) {
      // solve (P L U) y = x: forward with L and pivots, then back with U
      for (let i = 0; i < n - 1; i++) {
        if (piv[i]) {
          const t = x[i]!;
          x[i] = x[i + 1]!;
          x[i + 1] = t - lm[i]! * x[i + 1]!;
        } else x[i + 1] = x[i + 1]! - lm[i]! * x[i]!;
      }
      for (let i = n - 1; i >= 0; i--) {
        let s = x[i]!;
        if (i + 1 < n) s -= u1[i]! * x[i + 1]!;
        if (i + 2 < n) s -= u2[i]! * x[i + 2]!;
        x[i] = s / u0[i]!;
      }
      // orthogonalize against the cluster
      for (let q = clusterStart; q < j; q++) {
        const zq = z + q * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += F[zq + i]! * x[i]!;
        for (let i = 0; i < n; i++) x[i] = x[i]! - s * F[zq + i]!;
      }
      let nrm = 0;
      for (let i = 0; i < n; i++) nrm = Math.max(nrm, Math.abs(x[i]!));
      if (nrm === 0) {
        x[j % n] = 1;
        continue;
      }
      for (let i = 0; i < n; i++) x[i] = x[i]! / nrm;
      if (it >= (j > clusterStart ? 4 : 2)) break;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
    s = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) F[zc + i] = x[i]! * s;
  }
}
