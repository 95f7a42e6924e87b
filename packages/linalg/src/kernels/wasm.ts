/**
 * The WebAssembly SIMD kernels behind the numerics: gemm.wat (the 2×8 GEMM micro-kernel and the
 * loop that sweeps it over packed blocks) and level1.wat (dot, axpy, plane rotation and the fused
 * vector kernels of the Householder and QR-iteration code). Both are assembled at build time
 * into ./assembled.ts; here they are compiled once and instantiated on the arena's memory.
 *
 * @module
 */
import { GEMM_WASM, LEVEL1_WASM } from './assembled.js';

/** Register block of the GEMM micro-kernel: MR rows × NR columns of C per call (gemm.wat says why 2×8). */
export const MR = 2;
/** Register block of the GEMM micro-kernel (columns). */
export const NR = 8;

/** The exported functions of the kernel modules. Offsets are in bytes. */
export interface WasmKernels {
  /** C[MR×NR] += packed A panel · packed B panel. */
  micro(kc: number, ap: number, bp: number, cp: number, ldcBytes: number): void;
  /** Sweeps the micro-kernel over a packed block; tiles above column − row = diag are skipped. */
  macro(kc: number, mcp: number, ncp: number, ap: number, bp: number, cp: number, ldcBytes: number, diag: number): void;
  /** Σ x[i]·y[i]. */
  dot(xp: number, yp: number, n: number): number;
  /** y += alpha·x. */
  axpy(n: number, alpha: number, xp: number, yp: number): void;
  /** (x, y) ← (c·x + s·y, c·y − s·x). */
  rot(n: number, xp: number, yp: number, c: number, s: number): void;
  /** Returns Σ x[i]·v[i] and does y += a·x, in one pass over x. */
  dotaxpy(n: number, xp: number, vp: number, yp: number, a: number): number;
  /** z += a·x + b·y. */
  axpy2(n: number, a: number, xp: number, b: number, yp: number, zp: number): void;
  /** x *= a. */
  scal(n: number, a: number, xp: number): void;
  /** z += a·x + b·y, then returns Σ z·v and does w += c·z (one pass). */
  rank2dot(n: number, a: number, xp: number, b: number, yp: number, zp: number, vp: number, wp: number, c: number): number;
}

let compiled: WebAssembly.Module[] | null = null;

/**
 * The kernels instantiated on `memory` (every module imports it as `env.mem`). Throws where the
 * runtime has no WebAssembly or no SIMD; the caller then falls back to the JavaScript twins.
 */
export function instantiateKernels(memory: WebAssembly.Memory): WasmKernels {
  compiled ??= [GEMM_WASM, LEVEL1_WASM].map((bytes) => new WebAssembly.Module(bytes as BufferSource));
  const exports = compiled.map((mod) => new WebAssembly.Instance(mod, { env: { mem: memory } }).exports);
  return Object.assign({}, ...exports) as WasmKernels;
}
