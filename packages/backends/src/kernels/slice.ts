/**
 * Slice and SplitV for wasm without copying the whole input. wasm's own Slice first reads the
 * entire input out of the heap (readSync: a full copy) and then copies the slice from that
 * copy, so n slices of one tensor cost n full copies (an LSTM's unstack over 28 time steps:
 * 25–50 ms). Reading through a heap view costs only the slice.
 *
 * @module
 */
import { slice_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { isWasmHeapBackend, sizeOf, type WasmHeapBackend } from './heap.js';

type Arr = Float32Array | Int32Array | Uint8Array;

/** Copies the box [begin, begin + size) of `x` (of `shape`, row-major) into `out`. */
export function copyBox(x: Arr, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Arr): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  const row = size[rank - 1]!;
  const idx = new Array<number>(rank - 1).fill(0);
  const rows = sizeOf(size.slice(0, -1));
  for (let r = 0, o = 0; r < rows; r++, o += row) {
    let off = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) off += (begin[d]! + idx[d]!) * strides[d]!;
    out.set(x.subarray(off, off + row), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Slice on the heap: one allocation, then contiguous or row-wise copies from a view of the input. */
export function sliceOnHeap(backend: WasmHeapBackend, x: TensorInfo, begin: number | number[], size?: number | number[]): TensorInfo {
  const [b, s] = slice_util.parseSliceParams(x, begin, size);
  const out = backend.makeOutput(s, x.dtype);
  if (sizeOf(s) === 0) return out;
  // views after the allocation (it may grow the heap)
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  if (slice_util.isSliceContinous(x.shape, b, s)) {
    const strides = x.shape.map((_, d) => sizeOf(x.shape.slice(d + 1)));
    const off = b.reduce((acc, v, d) => acc + v * strides[d]!, 0);
    ov.set(xv.subarray(off, off + sizeOf(s)));
  } else {
    copyBox(xv, x.shape, b, s, ov);
  }
  return out;
}

/** The Slice kernel for wasm; string tensors go to `fallback`. */
export function sliceWasmKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string' || !isWasmHeapBackend(args.backend)) return fallback(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    return sliceOnHeap(args.backend, x, begin, size);
  };
}

/** The SplitV kernel for wasm (slices through {@link sliceOnHeap}); string tensors go to `fallback`. */
export function splitVWasmKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string' || !isWasmHeapBackend(args.backend)) return fallback(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const $axis = axis < 0 ? axis + x.shape.length : axis;
    const sizes = Array.isArray(numOrSizeSplits)
      ? numOrSizeSplits.map((v) => (v === -1 ? x.shape[$axis]! - numOrSizeSplits.reduce((a, c) => (c === -1 ? a : a + c), 0) : v))
      : new Array<number>(numOrSizeSplits).fill(x.shape[$axis]! / numOrSizeSplits);
    const begin = x.shape.map(() => 0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[$axis] = n;
      const out = sliceOnHeap(args.backend as WasmHeapBackend, x, [...begin], size);
      begin[$axis]! += n;
      return out;
    });
  };
}

/** The Slice config for wasm. */
export function sliceWasmConfig(fallback: KernelFunc): KernelConfig {
  return { kernelName: 'Slice', backendName: 'wasm', kernelFunc: sliceWasmKernel(fallback) };
}

/** The SplitV config for wasm. */
export function splitVWasmConfig(fallback: KernelFunc): KernelConfig {
  return { kernelName: 'SplitV', backendName: 'wasm', kernelFunc: splitVWasmKernel(fallback) };
}
