/**
 * Conv2DBackpropFilter for wasm as one implicit-im2col GEMM in WebAssembly SIMD
 * (./wat/filter-grad.wat), on the TF.js wasm backend's own heap.
 *
 *     dW[(a, b, ci), co] = Σ_{n,i,j} xpad[n, i·sh + a·dh, j·sw + b·dw, ci] · dy[n, i, j, co]
 *
 * The kernel layout [kh, kw, Cin, Cout] is that product's row-major [kh·kw·Cin, Cout] matrix.
 * Row m = (a, b, ci) reads the input at a fixed offset from each output pixel's window corner, so
 * no im2col matrix is formed: blocks of 4 rows × 8 output channels accumulate in registers while
 * they sweep the pixels of a chunk of images that fits in cache. Zero padding is a copy of the
 * input with the padding around it (one pass over the input, skipped when the convolution
 * reads no padding); an output-channel count that is not a multiple of 4 is padded the same
 * way. The multiply-adds are those of the forward convolution.
 *
 * The transposed-convolution formulation this replaces on wasm (./conv2d-backprop-filter.ts:
 * one XNNPACK Conv2D with the batch as the contracted axis) cost 1.1–8× the forward convolution
 * on ResNet-20's shapes (1.4× summed over a step's convolutions; the issue measured 2.4× in a step profile);
 * `npm run bench -- conv-grad` prints both
 * against the forward convolution.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { convGradGeometry, type ConvGradGeometry } from './conv-geometry.js';
import type { Conv2DBackpropFilterAttrs } from './conv2d-backprop-filter.js';
import { isWasmHeapBackend, type WasmHeapBackend } from './heap.js';
import { KernelScope } from './scope.js';
import { FILTER_GRAD_WASM } from './wat/assembled.js';

/** The parts of the wasm backend (BackendWasm) this kernel reaches besides the heap methods. */
interface WasmModuleBackend extends WasmHeapBackend {
  /** Per tensor: where its data lives on the heap. */
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  /** The Emscripten module; `asm.memory` is the heap's WebAssembly.Memory. */
  wasm: { asm?: { memory?: WebAssembly.Memory } };
}

/** The exports of filter-grad.wat. */
interface FilterGradModule {
  filterGrad(
    x: number,
    dy: number,
    dw: number,
    offs: number,
    m: number,
    co: number,
    n: number,
    chunk: number,
    ho: number,
    wo: number,
    ximg: number,
    xrow: number,
    xcol: number,
  ): void;
}

let compiled: WebAssembly.Module | null = null;
const instances = new WeakMap<WebAssembly.Memory, FilterGradModule>();

/** The kernel instantiated on `memory` (once per memory). */
function kernelOn(memory: WebAssembly.Memory): FilterGradModule {
  let k = instances.get(memory);
  if (!k) {
    compiled ??= new WebAssembly.Module(FILTER_GRAD_WASM as BufferSource);
    k = new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as FilterGradModule;
    instances.set(memory, k);
  }
  return k;
}

/** The heap memory of a wasm backend, or null when `b` is not one this kernel can reach. */
function heapMemory(b: unknown): WebAssembly.Memory | null {
  if (!isWasmHeapBackend(b)) return null;
  const w = b as Partial<WasmModuleBackend>;
  const mem = w.wasm?.asm?.memory;
  return typeof w.dataIdMap?.get === 'function' && mem instanceof WebAssembly.Memory ? mem : null;
}

/** Bytes of input and output gradient one chunk of images may span (kept in L2 while dW's blocks sweep it). */
const CHUNK_BYTES = 256 * 1024;

/** How the padded input is laid out: its height and width, and whether it is a copy. */
export interface PaddedInput {
  /** Rows of the padded input the convolution reads (starting at row −top). */
  readonly hp: number;
  /** Columns (starting at column −left). */
  readonly wp: number;
  /** False when the convolution reads no padding: the input itself serves. */
  readonly copy: boolean;
}

/** The padded input a filter gradient of geometry `g` reads. */
export function paddedInput(g: ConvGradGeometry): PaddedInput {
  const hp = (g.outH - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const wp = (g.outW - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  if (g.top === 0 && g.left === 0 && hp <= g.inH && wp <= g.inW) return { hp: g.inH, wp: g.inW, copy: false };
  return { hp, wp, copy: true };
}

/** Writes x [N, H, W, C] into dst [N, hp, wp, C] at row `top`, column `left`, zeros elsewhere. */
export function padInto(x: Float32Array, g: ConvGradGeometry, p: PaddedInput, dst: Float32Array): void {
  const c = g.inC;
  dst.fill(0);
  const rows = Math.min(g.inH, p.hp - g.top);
  const cols = Math.min(g.inW, p.wp - g.left) * c;
  for (let n = 0; n < g.n; n++) {
    for (let r = 0; r < rows; r++) {
      const s = (n * g.inH + r) * g.inW * c;
      dst.set(x.subarray(s, s + cols), ((n * p.hp + r + g.top) * p.wp + g.left) * c);
    }
  }
}

/** Copies rows of `cols` values into rows of `ld` values (zeros beyond), or back with `back`. */
function padColumns(src: Float32Array, rows: number, cols: number, ld: number, dst: Float32Array, back = false): void {
  const [sld, dld] = back ? [ld, cols] : [cols, ld];
  if (!back) dst.fill(0);
  for (let r = 0; r < rows; r++) {
    for (let c = 0, s = r * sld, d = r * dld; c < cols; c++) dst[d + c] = src[s + c]!;
  }
}

/**
 * The filter gradient of NHWC float32 `x` and `dy` on the wasm heap of `backend`, or null when
 * the backend's heap cannot be reached (the caller falls back).
 */
export function conv2dBackpropFilterGemm(backend: unknown, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo | null {
  const memory = heapMemory(backend);
  if (!memory || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const b = backend as WasmModuleBackend;
  const g = convGradGeometry(x.shape, attrs.filterShape, attrs);
  const m = g.kh * g.kw * g.inC;
  const co = Math.ceil(g.outC / 4) * 4;
  const p = paddedInput(g);
  const out = b.makeOutput([g.kh, g.kw, g.inC, g.outC], 'float32');
  const temps: TensorInfo[] = [];
  const temp = (shape: number[], dtype: 'float32' | 'int32') => {
    const t = b.makeOutput(shape, dtype);
    temps.push(t);
    return t;
  };
  try {
    if (g.n === 0 || g.outH === 0 || g.outW === 0) {
      (b.typedArrayFromHeap(out) as Float32Array).fill(0);
      return out;
    }
    // every allocation first: a later one may grow the heap and detach earlier views
    const xp = p.copy ? temp([g.n, p.hp, p.wp, g.inC], 'float32') : x;
    const dyp = co !== g.outC ? temp([g.n, g.outH, g.outW, co], 'float32') : dy;
    const dw = co !== g.outC ? temp([m, co], 'float32') : out;
    const offs = temp([Math.ceil(m / 4) * 4], 'int32');
    if (p.copy) padInto(b.typedArrayFromHeap(x) as Float32Array, g, p, b.typedArrayFromHeap(xp) as Float32Array);
    if (dyp !== dy) padColumns(b.typedArrayFromHeap(dy) as Float32Array, g.n * g.outH * g.outW, g.outC, co, b.typedArrayFromHeap(dyp) as Float32Array);
    (b.typedArrayFromHeap(dw) as Float32Array).fill(0);
    const o = b.typedArrayFromHeap(offs) as Int32Array;
    o.fill(0); // rows past m (the last block's padding rows) read row 0 and are not stored
    for (let a = 0, r = 0; a < g.kh; a++) {
      for (let bb = 0; bb < g.kw; bb++) {
        for (let ci = 0; ci < g.inC; ci++, r++) o[r] = ((a * g.dh * p.wp + bb * g.dw) * g.inC + ci) * 4;
      }
    }
    const imgBytes = (p.hp * p.wp * g.inC + g.outH * g.outW * co) * 4;
    const chunk = Math.max(1, Math.min(g.n, Math.floor(CHUNK_BYTES / imgBytes)));
    const ptr = (t: TensorInfo) => b.dataIdMap.get(t.dataId)!.memoryOffset;
    kernelOn(memory).filterGrad(
      ptr(xp),
      ptr(dyp),
      ptr(dw),
      ptr(offs),
      m,
      co,
      g.n,
      chunk,
      g.outH,
      g.outW,
      p.hp * p.wp * g.inC * 4,
      g.sh * p.wp * g.inC * 4,
      g.sw * g.inC * 4,
    );
    if (dw !== out) padColumns(b.typedArrayFromHeap(dw) as Float32Array, m, g.outC, co, b.typedArrayFromHeap(out) as Float32Array, true);
    return out;
  } catch (e) {
    b.disposeData(out.dataId);
    throw e;
  } finally {
    for (const t of temps) b.disposeData(t.dataId);
  }
}

/**
 * Kernel function of Conv2DBackpropFilter for wasm: the GEMM above; NCHW tensors are transposed
 * to NHWC first. `fallback` serves a backend whose heap is out of reach (and non-float32 data).
 */
export function conv2dBackpropFilterWasmKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const a = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!heapMemory(args.backend)) return fallback(args);
    const scope = new KernelScope(args.backend as WasmModuleBackend, 'wasm');
    try {
      let x = args.inputs['x']!;
      let dy = args.inputs['dy']!;
      if (a.dataFormat === 'NCHW') {
        x = scope.transpose(x, [0, 2, 3, 1]);
        dy = scope.transpose(dy, [0, 2, 3, 1]);
      }
      const out = conv2dBackpropFilterGemm(args.backend, x, dy, { ...a, dataFormat: 'NHWC' });
      scope.dispose();
      return out ?? fallback(args);
    } catch (e) {
      scope.dispose();
      throw e;
    }
  };
}

/** The config registered for wasm. */
export function conv2dBackpropFilterWasmConfig(fallback: KernelFunc): KernelConfig {
  return { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterWasmKernel(fallback) };
}
