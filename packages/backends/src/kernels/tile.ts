/**
 * Tile as block copies on the wasm heap. Batch-norm's gradient tiles a [1, 1, 1, C] vector to the
 * activation's full shape; wasm's element-wise Tile spends ~90 ms on a 64×32×32×16 output, block
 * copies (copyWithin, doubling) well under 1 ms.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmHeapBackend, sizeOf } from './heap.js';

/**
 * The typed arrays a tile kernel reads and writes.
 *
 * @inline
 */
type Arr = Float32Array | Int32Array | Uint8Array;

/** A tiling: an input shape and the repetitions per axis. */
export interface TilePlan {
  /** Input shape. */
  shape: number[];
  /** Repetitions per axis. */
  reps: number[];
}

/** Merges adjacent axes that tile the same way, so the copy loop sees as few axes as possible. */
export function simplifyTile(shape: readonly number[], reps: readonly number[]): TilePlan {
  const s: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const k = reps[i]!;
    if (d === 1 && k === 1) continue;
    const last = s.length - 1;
    if (last >= 0 && k === 1 && r[last] === 1)
      s[last] = s[last]! * d; // both copied whole
    else if (last >= 0 && d === 1 && s[last] === 1)
      r[last] = r[last]! * k; // both pure repetition
    else {
      s.push(d);
      r.push(k);
    }
  }
  if (s.length === 0) return { shape: [1], reps: [1] };
  return { shape: s, reps: r };
}

/** Writes tile(src of `shape`, `reps`) into `dst` (row-major). */
export function tileInto(src: Arr, shape: readonly number[], reps: readonly number[], dst: Arr): void {
  const rank = shape.length;
  const srcStride = new Array<number>(rank);
  const dstStride = new Array<number>(rank);
  let a = 1;
  let b = 1;
  for (let d = rank - 1; d >= 0; d--) {
    srcStride[d] = a;
    dstStride[d] = b;
    a *= shape[d]!;
    b *= shape[d]! * reps[d]!;
  }
  const replicate = (off: number, block: number, times: number): void => {
    let filled = block;
    const total = block * times;
    while (filled < total) {
      const n = Math.min(filled, total - filled);
      dst.copyWithin(off + filled, off, off + n);
      filled += n;
    }
  };
  const fill = (d: number, so: number, dOff: number): void => {
    const n = shape[d]!;
    if (d === rank - 1) {
      dst.set(src.subarray(so, so + n), dOff);
      replicate(dOff, n, reps[d]!);
      return;
    }
    for (let i = 0; i < n; i++) fill(d + 1, so + i * srcStride[d]!, dOff + i * dstStride[d]!);
    replicate(dOff, n * dstStride[d]!, reps[d]!);
  };
  fill(0, 0, 0);
}

/**
 * The Tile kernel for wasm; `fallback` (the backend's own kernel) handles string tensors and
 * backends without heap access.
 */
export function tileWasmKernel(fallback?: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, attrs, backend } = args;
    const x = inputs['x']!;
    const reps = (attrs as unknown as { reps: number[] }).reps;
    if (x.dtype === 'string' || !isWasmHeapBackend(backend)) {
      if (!fallback) throw new Error('Tile: no fallback kernel for this input');
      return fallback(args);
    }
    const outShape = x.shape.map((d, i) => d * reps[i]!);
    const out: TensorInfo = backend.makeOutput(outShape, x.dtype);
    if (sizeOf(outShape) === 0) return out;
    const simple = simplifyTile(x.shape, reps);
    // Views are taken after the allocation (it may grow the heap and detach older views).
    tileInto(backend.typedArrayFromHeap(x), simple.shape, simple.reps, backend.typedArrayFromHeap(out));
    return out;
  };
}

/** The Tile kernel config for wasm. */
export function tileWasmConfig(fallback?: KernelFunc): KernelConfig {
  return { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tileWasmKernel(fallback) };
}
