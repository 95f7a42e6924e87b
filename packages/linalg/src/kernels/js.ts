/**
 * The JavaScript twins of the WebAssembly kernels (gemm.wat, level1.wat): the same operations on
 * the same arena layouts, as plain loops. They run where WebAssembly SIMD is not available and
 * after `setKernelMode('js')`, and the tests compare the two paths. Results agree with the
 * WebAssembly kernels up to rounding (the sums are accumulated in a different order).
 *
 * @module
 */
import type { Heap, Level1 } from '../heap.js';
import { MR, NR } from './wasm.js';

/** JavaScript twins of level1.wat's kernels, on the arena `h` (offsets in doubles). */
export function jsLevel1(h: Heap): Level1 {
  return {
    dot(x, y, n) {
      const F = h.f64;
      let s0 = 0;
      let s1 = 0;
      let i = 0;
      for (; i + 1 < n; i += 2) {
        s0 += F[x + i]! * F[y + i]!;
        s1 += F[x + i + 1]! * F[y + i + 1]!;
      }
      if (i < n) s0 += F[x + i]! * F[y + i]!;
      return s0 + s1;
    },
    axpy(n, a, x, y) {
      const F = h.f64;
      for (let i = 0; i < n; i++) F[y + i] += a * F[x + i]!;
    },
    rot(n, x, y, c, s) {
      const F = h.f64;
      for (let i = 0; i < n; i++) {
        const u = F[x + i]!;
        const v = F[y + i]!;
        F[x + i] = c * u + s * v;
        F[y + i] = c * v - s * u;
      }
    },
    dotaxpy(n, x, v, y, a) {
      const F = h.f64;
      let r = 0;
      for (let i = 0; i < n; i++) {
        const u = F[x + i]!;
        r += u * F[v + i]!;
        F[y + i] += a * u;
      }
      return r;
    },
    axpy2(n, a, x, b, y, z) {
      const F = h.f64;
      for (let i = 0; i < n; i++) F[z + i] += a * F[x + i]! + b * F[y + i]!;
    },
    scal(n, a, x) {
      const F = h.f64;
      for (let i = 0; i < n; i++) F[x + i] *= a;
    },
    rank2dot(n, a, x, b, y, z, v, w, c) {
      const F = h.f64;
      let r = 0;
      for (let i = 0; i < n; i++) {
        const t = F[z + i]! + a * F[x + i]! + b * F[y + i]!;
        F[z + i] = t;
        r += t * F[v + i]!;
        F[w + i] += c * t;
      }
      return r;
    },
  };
}

/** JavaScript twin of gemm.wat's `macro` (same packed layouts; offsets in doubles, not bytes). */
export function jsMacro(F: Float64Array, kc: number, mcp: number, ncp: number, ap: number, bp: number, cp: number, ldc: number, diag: number): void {
  for (let jr = 0; jr < ncp; jr += NR) {
    const t = jr + diag - (MR - 1);
    const ir0 = t > 0 ? t & -MR : 0;
    for (let ir = ir0; ir < mcp; ir += MR) jsMicro(F, kc, ap + ir * kc, bp + jr * kc, cp + ir * ldc + jr, ldc);
  }
}

/** JavaScript twin of gemm.wat's `micro`: C[4×4] += packed A panel · packed B panel. */
function jsMicro(F: Float64Array, kc: number, ao: number, bo: number, co: number, ldc: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, ao += 4, bo += 4) {
    const a0 = F[ao]!, a1 = F[ao + 1]!, a2 = F[ao + 2]!, a3 = F[ao + 3]!;
    const b0 = F[bo]!, b1 = F[bo + 1]!, b2 = F[bo + 2]!, b3 = F[bo + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  F[co] += c00; F[co + 1] += c01; F[co + 2] += c02; F[co + 3] += c03; co += ldc;
  F[co] += c10; F[co + 1] += c11; F[co + 2] += c12; F[co + 3] += c13; co += ldc;
  F[co] += c20; F[co + 1] += c21; F[co + 2] += c22; F[co + 3] += c23; co += ldc;
  F[co] += c30; F[co + 1] += c31; F[co + 2] += c32; F[co + 3] += c33;
}
