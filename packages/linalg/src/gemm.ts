/**
 * General matrix products on strided float64 arrays: packed panels, a 2×8 register-blocked
 * micro-kernel (WebAssembly SIMD, or JavaScript), and a lower-triangle mode for Gram matrices.
 *
 * Every operand is described by an array, an offset and two strides (row stride, column stride),
 * so row-major, column-major and transposed views all go through the same code without copies:
 * for a row-major r×c matrix use strides (c, 1); for its transpose (1, c).
 *
 * @module
 */
import { heap } from './heap.js';
import { jsMacro } from './kernels/js.js';
import { MR, NR } from './kernels/wasm.js';

/** Depth of a packed block (shared dimension). */
const KC = 256;
/** Rows of a packed A block (kept in L2). */
const MC = 128;
/** Columns of a packed B block. */
const NC = 1024;
/** Rows of the C chunk accumulated in the arena before it is written back. */
const CHM = 512;
/** Below this many multiply-adds a plain loop beats packing. */
const SMALL = 24 * 24 * 24;

/** Doubles of arena scratch one {@link gemm} call may allocate (reserve it to keep views valid). */
export const GEMM_SCRATCH = MC * KC + KC * NC + CHM * NC + 32;

/** A large negative diagonal offset: compute every tile. */
const ALL = -(1 << 30);

/**
 * C ← alpha·A·B + beta·C for an m×k A and a k×n B given as strided views.
 * With `lower`, only the entries with row ≥ column of C are computed and written (the rest of
 * C is left untouched); that is what a symmetric product needs.
 * `beta = 0` ignores what C held (even NaN).
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  aOff: number,
  aRs: number,
  aCs: number,
  B: Float64Array,
  bOff: number,
  bRs: number,
  bCs: number,
  beta: number,
  C: Float64Array,
  cOff: number,
  cRs: number,
  cCs: number,
  lower = false,
): void {
  if (m <= 0 || n <= 0) return;
  if (!lower && Math.abs(cRs) < Math.abs(cCs)) {
    // C is column-major: compute Cᵀ = op(B)ᵀ·op(A)ᵀ so the write-back runs along rows
    gemm(n, m, k, alpha, B, bOff, bCs, bRs, A, aOff, aCs, aRs, beta, C, cOff, cCs, cRs);
    return;
  }
  if (lower && m === n && Math.abs(cRs) < Math.abs(cCs)) {
    // column-major lower triangle: the same entries are the lower triangle of C'' = reversed
    // Cᵀ (C''[i, j] = C[n−1−j, n−1−i]), whose rows are contiguous (read backwards)
    gemm(
      m,
      n,
      k,
      alpha,
      B,
      bOff + (m - 1) * bCs,
      -bCs,
      bRs,
      A,
      aOff + (n - 1) * aRs,
      aCs,
      -aRs,
      beta,
      C,
      cOff + (m - 1) * cCs + (n - 1) * cRs,
      -cCs,
      -cRs,
      true,
    );
    return;
  }
  if (k <= 0 || alpha === 0) {
    scaleC(m, n, beta, C, cOff, cRs, cCs, lower);
    return;
  }
  if (m * n * k <= SMALL || k < 4 || (m < MR && n < NR)) {
    smallGemm(m, n, k, alpha, A, aOff, aRs, aCs, B, bOff, bRs, bCs, beta, C, cOff, cRs, cCs, lower);
    return;
  }
  const h = heap();
  if (!lower && cCs === 1 && C.buffer === h.f64.buffer && m >= MR && n >= NR) {
    gemmDirect(h, m, n, k, alpha, A, aOff, aRs, aCs, B, bOff, bRs, bCs, beta, cOff, cRs);
    return;
  }
  gemmStaged(h, m, n, k, alpha, A, aOff, aRs, aCs, B, bOff, bRs, bCs, beta, C, cOff, cRs, cCs, lower);
}

/** The packed product staged through an arena buffer of C (any C layout, any sizes). */
function gemmStaged(
  h: ReturnType<typeof heap>,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  aOff: number,
  aRs: number,
  aCs: number,
  B: Float64Array,
  bOff: number,
  bRs: number,
  bCs: number,
  beta: number,
  C: Float64Array,
  cOff: number,
  cRs: number,
  cCs: number,
  lower: boolean,
): void {
  const arena = h.f64;
  const mark = h.top;
  try {
    const ncMax = Math.min(NC, roundUp(n, NR));
    const chm = Math.min(CHM, roundUp(m, MR));
    const kcMax = Math.min(KC, k);
    const apO = h.alloc(MC * kcMax);
    const bpO = h.alloc(kcMax * ncMax);
    const cO = h.alloc(chm * ncMax);
    const F = h.f64;
    // arena views passed in are stale if the allocations grew the memory
    if (A === arena) A = F;
    if (B === arena) B = F;
    if (C === arena) C = F;
    const K = h.kernels;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const ncp = roundUp(nc, NR);
      for (let ic0 = 0; ic0 < m; ic0 += CHM) {
        const mch = Math.min(CHM, m - ic0);
        if (lower && ic0 + mch - 1 < jc) continue; // chunk wholly above the diagonal
        const mchp = roundUp(mch, MR);
        F.fill(0, cO, cO + mchp * ncp);
        for (let pc = 0; pc < k; pc += KC) {
          const kc = Math.min(KC, k - pc);
          // in lower mode, columns right of the chunk's last row are never needed
          const ncUse = lower ? Math.min(nc, ic0 + mch - jc) : nc;
          const ncpUse = roundUp(ncUse, NR);
          packB(F, bpO, B, bOff, bRs, bCs, pc, kc, jc, ncUse);
          for (let ic = ic0; ic < ic0 + mch; ic += MC) {
            const mc = Math.min(MC, ic0 + mch - ic);
            if (lower && ic + mc - 1 < jc) continue;
            const mcp = roundUp(mc, MR);
            packA(F, apO, A, aOff, aRs, aCs, ic, mc, pc, kc);
            const cp = cO + (ic - ic0) * ncp;
            const diag = lower ? jc - ic : ALL;
            if (K) K.macro(kc, mcp, ncpUse, apO * 8, bpO * 8, cp * 8, ncp * 8, diag);
            else jsMacro(F, kc, mcp, ncpUse, apO, bpO, cp, ncp, diag);
          }
        }
        writeBack(F, cO, ncp, mch, nc, ic0, jc, alpha, beta, C, cOff, cRs, cCs, lower);
      }
    }
  } finally {
    h.top = mark;
  }
}

/**
 * The same product when C lives in the arena with unit column stride: full MR×NR tiles accumulate
 * straight into C (no staging buffer, no write-back pass); the ragged last row panel (under MR
 * tall) and column panel (under NR wide) are computed from the same packed blocks into a small
 * staging tile and added in.
 */
function gemmDirect(
  h: ReturnType<typeof heap>,
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  aOff: number,
  aRs: number,
  aCs: number,
  B: Float64Array,
  bOff: number,
  bRs: number,
  bCs: number,
  beta: number,
  cOff: number,
  ldc: number,
): void {
  const arena = h.f64;
  if (beta !== 1) scaleC(m, n, beta, arena, cOff, ldc, 1, false);
  const mark = h.top;
  try {
    const kcMax = Math.min(KC, k);
    const ncMax = Math.min(NC, roundUp(n, NR));
    const apO = h.alloc(MC * kcMax);
    const bpO = h.alloc(kcMax * ncMax);
    const sO = h.alloc(Math.max(MC * NR, MR * ncMax));
    const F = h.f64;
    if (A === arena) A = F;
    if (B === arena) B = F;
    const K = h.kernels;
    const macro = (kc: number, mcp: number, ncp: number, ap: number, bp: number, cp: number, ld: number) => {
      if (K) K.macro(kc, mcp, ncp, ap * 8, bp * 8, cp * 8, ld * 8, ALL);
      else jsMacro(F, kc, mcp, ncp, ap, bp, cp, ld, ALL);
    };
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      const nc4 = nc - (nc % NR); // columns in full panels
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        packB(F, bpO, B, bOff, bRs, bCs, pc, kc, jc, nc);
        for (let ic = 0; ic < m; ic += MC) {
          const mc = Math.min(MC, m - ic);
          const mc4 = mc - (mc % MR);
          packA(F, apO, A, aOff, aRs, aCs, ic, mc, pc, kc, alpha);
          const cp = cOff + ic * ldc + jc;
          if (mc4 > 0 && nc4 > 0) macro(kc, mc4, nc4, apO, bpO, cp, ldc);
          if (nc4 < nc) {
            // last column panel: all rows of the block into S (mcp×NR), then add its nc−nc4 columns
            const mcp = roundUp(mc, MR);
            F.fill(0, sO, sO + mcp * NR);
            macro(kc, mcp, NR, apO, bpO + nc4 * kc, sO, NR);
            for (let i = 0; i < mc; i++) for (let j = nc4; j < nc; j++) F[cp + i * ldc + j] += F[sO + i * NR + j - nc4]!;
          }
          if (mc4 < mc && nc4 > 0) {
            // last row panel (full-tile columns only): S (MR×nc4), then add its mc−mc4 rows
            F.fill(0, sO, sO + MR * nc4);
            macro(kc, MR, nc4, apO + mc4 * kc, bpO, sO, nc4);
            for (let i = mc4; i < mc; i++) {
              const crow = cp + i * ldc;
              const srow = sO + (i - mc4) * nc4;
              for (let j = 0; j < nc4; j++) F[crow + j] += F[srow + j]!;
            }
          }
        }
      }
    }
  } finally {
    h.top = mark;
  }
}

function roundUp(x: number, b: number): number {
  return Math.ceil(x / b) * b;
}

function scaleC(m: number, n: number, beta: number, C: Float64Array, cOff: number, cRs: number, cCs: number, lower: boolean): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const jEnd = lower ? Math.min(n, i + 1) : n;
    const c0 = cOff + i * cRs;
    if (cCs === 1 && beta === 0) C.fill(0, c0, c0 + jEnd);
    else for (let j = 0, c = c0; j < jEnd; j++, c += cCs) C[c] = beta === 0 ? 0 : beta * C[c]!;
  }
}

function smallGemm(
  m: number,
  n: number,
  k: number,
  alpha: number,
  A: Float64Array,
  aOff: number,
  aRs: number,
  aCs: number,
  B: Float64Array,
  bOff: number,
  bRs: number,
  bCs: number,
  beta: number,
  C: Float64Array,
  cOff: number,
  cRs: number,
  cCs: number,
  lower: boolean,
): void {
  scaleC(m, n, beta, C, cOff, cRs, cCs, lower);
  for (let i = 0; i < m; i++) {
    const jEnd = lower ? Math.min(n, i + 1) : n;
    const ci = cOff + i * cRs;
    for (let p = 0; p < k; p++) {
      const a = alpha * A[aOff + i * aRs + p * aCs]!;
      if (a === 0) continue;
      let b = bOff + p * bRs;
      let c = ci;
      for (let j = 0; j < jEnd; j++, b += bCs, c += cCs) C[c] += a * B[b]!;
    }
  }
}

/** Packs A[i0:i0+mc, p0:p0+kc] as MR-row panels (MR = 2), p-major inside a panel, zero-padded, times alpha. */
function packA(
  F: Float64Array,
  dst: number,
  A: Float64Array,
  aOff: number,
  aRs: number,
  aCs: number,
  i0: number,
  mc: number,
  p0: number,
  kc: number,
  alpha = 1,
): void {
  const full = mc - (mc % MR);
  for (let ir = 0; ir < full; ir += MR) {
    let d = dst + ir * kc;
    const r0 = aOff + (i0 + ir) * aRs + p0 * aCs;
    const r1 = r0 + aRs;
    if (alpha === 1) {
      for (let p = 0, q = 0; p < kc; p++, d += MR, q += aCs) {
        F[d] = A[r0 + q]!;
        F[d + 1] = A[r1 + q]!;
      }
    } else {
      for (let p = 0, q = 0; p < kc; p++, d += MR, q += aCs) {
        F[d] = alpha * A[r0 + q]!;
        F[d + 1] = alpha * A[r1 + q]!;
      }
    }
  }
  if (full < mc) {
    // the last panel: one row, and a row of zeros
    let d = dst + full * kc;
    const r0 = aOff + (i0 + full) * aRs + p0 * aCs;
    for (let p = 0, q = 0; p < kc; p++, d += MR, q += aCs) {
      F[d] = alpha * A[r0 + q]!;
      F[d + 1] = 0;
    }
  }
}

/** Packs B[p0:p0+kc, j0:j0+nc] as NR-column panels (NR = 8), p-major inside a panel, zero-padded. */
function packB(F: Float64Array, dst: number, B: Float64Array, bOff: number, bRs: number, bCs: number, p0: number, kc: number, j0: number, nc: number): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const w = Math.min(NR, nc - jr);
    let d = dst + jr * kc;
    const c0 = bOff + p0 * bRs + (j0 + jr) * bCs;
    if (w === NR && bCs === 1) {
      for (let p = 0, q = c0; p < kc; p++, d += NR, q += bRs) {
        F[d] = B[q]!;
        F[d + 1] = B[q + 1]!;
        F[d + 2] = B[q + 2]!;
        F[d + 3] = B[q + 3]!;
        F[d + 4] = B[q + 4]!;
        F[d + 5] = B[q + 5]!;
        F[d + 6] = B[q + 6]!;
        F[d + 7] = B[q + 7]!;
      }
    } else if (w === NR) {
      // column-major (or strided) source: each column's kc entries in one pass
      for (let jj = 0; jj < NR; jj++) {
        for (let p = 0, q = c0 + jj * bCs, e = d + jj; p < kc; p++, q += bRs, e += NR) F[e] = B[q]!;
      }
    } else {
      for (let p = 0; p < kc; p++, d += NR) {
        for (let jj = 0; jj < NR; jj++) F[d + jj] = jj < w ? B[c0 + p * bRs + jj * bCs]! : 0;
      }
    }
  }
}

function writeBack(
  F: Float64Array,
  cO: number,
  ldc: number,
  mch: number,
  nc: number,
  ic0: number,
  jc: number,
  alpha: number,
  beta: number,
  C: Float64Array,
  cOff: number,
  cRs: number,
  cCs: number,
  lower: boolean,
): void {
  for (let i = 0; i < mch; i++) {
    const gi = ic0 + i;
    const jEnd = lower ? Math.min(nc, gi - jc + 1) : nc;
    if (jEnd <= 0) continue;
    let c = cOff + gi * cRs + jc * cCs;
    const f = cO + i * ldc;
    if (beta === 0) {
      if (alpha === 1 && cCs === 1) C.set(F.subarray(f, f + jEnd), c);
      else if (alpha === 1) for (let j = 0; j < jEnd; j++, c += cCs) C[c] = F[f + j]!;
      else for (let j = 0; j < jEnd; j++, c += cCs) C[c] = alpha * F[f + j]!;
    } else {
      for (let j = 0; j < jEnd; j++, c += cCs) C[c] = beta * C[c]! + alpha * F[f + j]!;
    }
  }
}
