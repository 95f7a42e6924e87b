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

/** JavaScript twin of gemm.wat's `micro`: C[2×8] += packed A panel · packed B panel. */
function jsMicro(F: Float64Array, kc: number, ao: number, bo: number, co: number, ldc: number): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c04 = 0,
    c05 = 0,
    c06 = 0,
    c07 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0,
    c14 = 0,
    c15 = 0,
    c16 = 0,
    c17 = 0;
  for (let p = 0; p < kc; p++, ao += MR, bo += NR) {
    const a0 = F[ao]!,
      a1 = F[ao + 1]!;
    const b0 = F[bo]!,
      b1 = F[bo + 1]!,
      b2 = F[bo + 2]!,
      b3 = F[bo + 3]!;
    const b4 = F[bo + 4]!,
      b5 = F[bo + 5]!,
      b6 = F[bo + 6]!,
      b7 = F[bo + 7]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c04 += a0 * b4;
    c05 += a0 * b5;
    c06 += a0 * b6;
    c07 += a0 * b7;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c14 += a1 * b4;
    c15 += a1 * b5;
    c16 += a1 * b6;
    c17 += a1 * b7;
  }
  F[co] += c00;
  F[co + 1] += c01;
  F[co + 2] += c02;
  F[co + 3] += c03;
  F[co + 4] += c04;
  F[co + 5] += c05;
  F[co + 6] += c06;
  F[co + 7] += c07;
  co += ldc;
  F[co] += c10;
  F[co + 1] += c11;
  F[co + 2] += c12;
  F[co + 3] += c13;
  F[co + 4] += c14;
  F[co + 5] += c15;
  F[co + 6] += c16;
  F[co + 7] += c17;
}
