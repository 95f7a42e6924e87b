/**
 * The linear memory the numerics work in: a growable arena with a bump allocator, holding the
 * working matrices and vectors, with the WebAssembly SIMD kernels (./kernels/wasm.ts)
 * instantiated on it. Where WebAssembly SIMD is not available, or after `setKernelMode('js')`,
 * the arena is a plain ArrayBuffer and the callers run the JavaScript twins of the kernels
 * (./kernels/js.ts), with the same results up to rounding.
 *
 * @module
 */
import { ErrorCodes, fail } from './errors.js';
import { jsLevel1 } from './kernels/js.js';
import { instantiateKernels, type WasmKernels } from './kernels/wasm.js';

const PAGE = 65536;
/** Largest arena (a 32-bit WebAssembly memory tops out at 4 GiB). */
const MAX_BYTES = 4 * 2 ** 30 - PAGE;
/** An idle arena bigger than this is dropped after use, so its memory can be collected. */
const KEEP_BYTES = 256 * 2 ** 20;

/**
 * The shared linear memory and its kernels; `null` kernels mean "use the JavaScript paths".
 * Internal to the numerics.
 */
export class Heap {
  /** The WebAssembly memory (null on the JavaScript path). */
  readonly memory: WebAssembly.Memory | null;
  /** The kernels (null on the JavaScript path). */
  readonly kernels: WasmKernels | null;
  private buffer: ArrayBuffer;
  /** Float64 view of the whole memory; refreshed after every growth. */
  f64: Float64Array;
  /** Bump pointer, in doubles. */
  top = 0;
  /** Level-1 kernels on arena offsets (in doubles). */
  readonly l1: Level1;

  /** Creates the arena, with the WebAssembly kernels when `useWasm` and the runtime allows. */
  constructor(useWasm: boolean) {
    let memory: WebAssembly.Memory | null = null;
    let kernels: WasmKernels | null = null;
    if (useWasm) {
      try {
        memory = new WebAssembly.Memory({ initial: 16 });
        kernels = instantiateKernels(memory);
      } catch {
        memory = null;
        kernels = null;
      }
    }
    this.memory = memory;
    this.kernels = kernels;
    this.buffer = memory ? (memory.buffer as ArrayBuffer) : new ArrayBuffer(16 * PAGE);
    this.f64 = new Float64Array(this.buffer);
    this.l1 = kernels ? wasmLevel1(kernels) : jsLevel1(this);
  }

  /** Makes sure the arena holds at least `doubles` doubles; returns the current view. */
  ensure(doubles: number): Float64Array {
    const bytes = doubles * 8;
    if (bytes <= this.buffer.byteLength) return this.f64;
    const mb = Math.ceil(bytes / 2 ** 20);
    if (bytes > MAX_BYTES) {
      fail(
        ErrorCodes.TOO_LARGE,
        `the numerics would need ${mb} MB of working memory (the limit is ${MAX_BYTES / 2 ** 20} MB)`,
        'use a smaller matrix, a truncated or randomized SVD, or decompose fewer modes at once',
      );
    }
    try {
      if (this.memory) {
        // grow geometrically so repeated small growths do not copy over and over
        const want = Math.min(MAX_BYTES, Math.max(bytes, this.memory.buffer.byteLength * 1.5));
        this.memory.grow(Math.ceil((want - this.memory.buffer.byteLength) / PAGE));
        this.buffer = this.memory.buffer as ArrayBuffer;
      } else {
        const nb = new ArrayBuffer(Math.ceil(bytes / PAGE) * PAGE);
        new Uint8Array(nb).set(new Uint8Array(this.buffer));
        this.buffer = nb;
      }
    } catch (e) {
      fail(
        ErrorCodes.TOO_LARGE,
        `could not allocate ${mb} MB of working memory for the numerics (${(e as Error).message})`,
        'use a smaller matrix or free memory',
      );
    }
    this.f64 = new Float64Array(this.buffer);
    return this.f64;
  }

  /** Makes sure `n` more doubles fit above the bump pointer without growing the memory later. */
  reserve(n: number): void {
    this.ensure(this.top + n);
  }

  /** Allocates `n` doubles (8-double aligned) and returns the offset in doubles. */
  alloc(n: number): number {
    const off = this.top;
    this.top = off + ((n + 7) & ~7);
    this.ensure(this.top);
    return off;
  }
}

/** Level-1 operations on arena vectors; offsets and lengths in doubles. */
export interface Level1 {
  /** Σ x[i]·y[i]. */
  dot(x: number, y: number, n: number): number;
  /** y += a·x. */
  axpy(n: number, a: number, x: number, y: number): void;
  /** (x, y) ← (c·x + s·y, c·y − s·x). */
  rot(n: number, x: number, y: number, c: number, s: number): void;
  /** Returns Σ x[i]·v[i] and does y += a·x. */
  dotaxpy(n: number, x: number, v: number, y: number, a: number): number;
  /** z += a·x + b·y. */
  axpy2(n: number, a: number, x: number, b: number, y: number, z: number): void;
  /** x *= a. */
  scal(n: number, a: number, x: number): void;
  /** z += a·x + b·y, then returns Σ z·v and does w += c·z (one pass). */
  rank2dot(n: number, a: number, x: number, b: number, y: number, z: number, v: number, w: number, c: number): number;
}

function wasmLevel1(K: WasmKernels): Level1 {
  return {
    dot: (x, y, n) => K.dot(x * 8, y * 8, n),
    axpy: (n, a, x, y) => K.axpy(n, a, x * 8, y * 8),
    rot: (n, x, y, c, s) => K.rot(n, x * 8, y * 8, c, s),
    dotaxpy: (n, x, v, y, a) => K.dotaxpy(n, x * 8, v * 8, y * 8, a),
    axpy2: (n, a, x, b, y, z) => K.axpy2(n, a, x * 8, b, y * 8, z * 8),
    scal: (n, a, x) => K.scal(n, a, x * 8),
    rank2dot: (n, a, x, b, y, z, v, w, c) => K.rank2dot(n, a, x * 8, b, y * 8, z * 8, v * 8, w * 8, c),
  };
}

let wasmHeap: Heap | null = null;
let jsHeap: Heap | null = null;
let mode: 'auto' | 'js' = 'auto';

/** Which kernels the numerics run on. */
export type KernelMode = 'wasm-simd' | 'js';

/**
 * Chooses the kernels: `'auto'` (WebAssembly SIMD when the runtime has it, the default) or
 * `'js'` (plain JavaScript loops; slower, same results up to rounding). Returns the kernels now
 * in use.
 */
export function setKernelMode(m: 'auto' | 'js'): KernelMode {
  mode = m;
  return kernelMode();
}

/** The kernels in use: `'wasm-simd'` or `'js'`. */
export function kernelMode(): KernelMode {
  return heap().kernels ? 'wasm-simd' : 'js';
}

/** The arena of the current kernel mode (created on first use). */
export function heap(): Heap {
  if (mode === 'js') return (jsHeap ??= new Heap(false));
  wasmHeap ??= new Heap(true);
  return wasmHeap.kernels ? wasmHeap : (jsHeap ??= new Heap(false));
}

/**
 * Runs `fn` with the arena's bump pointer restored afterwards, so scratch space allocated inside
 * is released. Views of the arena taken before an allocation may be stale after it: re-read
 * `heap().f64` after calling anything that allocates.
 */
export function withScratch<R>(fn: (h: Heap) => R): R {
  const h = heap();
  const mark = h.top;
  try {
    return fn(h);
  } finally {
    h.top = mark;
    if (mark === 0 && h.f64.byteLength > KEEP_BYTES) {
      if (h === wasmHeap) wasmHeap = null;
      else if (h === jsHeap) jsHeap = null;
    }
  }
}
