/**
 * Direct access to the wasm backend's heap, for the kernels that are pure data movement
 * (tiling: block copies) or a single pass over memory (reductions over outer axes, scatter-add),
 * where one linear sweep in JS beats a transpose followed by wasm's innermost-axis kernel.
 *
 * @module
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { CompositeBackend } from './scope.js';

/** The part of the wasm backend (BackendWasm) these kernels use. */
export interface WasmHeapBackend extends CompositeBackend {
  /** Allocates an output tensor on the heap. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A typed-array view of a tensor's heap memory (invalid after the next allocation). */
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** True when `b` exposes the wasm heap methods. */
export function isWasmHeapBackend(b: unknown): b is WasmHeapBackend {
  const o = b as Partial<WasmHeapBackend> | null;
  return !!o && typeof o.makeOutput === 'function' && typeof o.typedArrayFromHeap === 'function';
}

/** Product of a shape's entries. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
