/**
 * UnsortedSegmentSum for wasm (the gradient of gather: an embedding layer's weight gradient).
 * A scatter-add is one pass over the data: row i is added to output row segmentIds[i]; ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 *
 * @module
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { isWasmHeapBackend, sizeOf } from './heap.js';

/** out[s, :] = Σ_{i: ids[i] = s} x[i, :]. */
export function segmentSumInto(x: Float32Array | Int32Array, ids: Int32Array, rowSize: number, numSegments: number, out: Float32Array | Int32Array): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * rowSize;
    const dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j]! += x[src + j]!;
  }
}

/** The UnsortedSegmentSum kernel function for wasm. */
export const unsortedSegmentSumWasmKernel: KernelFunc = ({ inputs, attrs, backend }) => {
  const x = inputs['x']!;
  const ids = inputs['segmentIds']!;
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  if (!isWasmHeapBackend(backend)) throw new Error('UnsortedSegmentSum: not a wasm backend');
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: dtype ${x.dtype} is not supported`);
  if (ids.dtype !== 'int32') throw new Error('UnsortedSegmentSum: segmentIds must be int32');
  for (let i = 0; i < ids.shape.length; i++) {
    if (ids.shape[i] !== x.shape[i]) throw new Error(`UnsortedSegmentSum: segmentIds shape [${ids.shape}] is not a prefix of x shape [${x.shape}]`);
  }
  const rest = x.shape.slice(ids.shape.length);
  const out = backend.makeOutput([numSegments, ...rest], x.dtype);
  segmentSumInto(
    backend.typedArrayFromHeap(x) as Float32Array | Int32Array,
    backend.typedArrayFromHeap(ids) as Int32Array,
    sizeOf(rest),
    numSegments,
    backend.typedArrayFromHeap(out) as Float32Array | Int32Array,
  );
  return out;
};

/** The UnsortedSegmentSum kernel config for wasm. */
export const unsortedSegmentSumWasmConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasmKernel,
};
