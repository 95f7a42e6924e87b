/**
 * The kernels tensorslim adds to (or replaces in) TF.js's wasm backend so that every model it
 * ships trains there at XNNPACK speed. Kernels are data (a config per kernel, one list), as in
 * TF.js's own register_all_kernels; one call registers them all and remembers what it replaced.
 *
 * @module
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { conv2dBackpropFilterWasmConfig } from './conv2d-backprop-filter-wasm.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { tileWasmConfig } from './tile.js';
import { reduceWasmConfig } from './reduce.js';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum.js';
import { castShareConfig, identityShareConfig } from './share.js';
import { batchNormWasmConfig } from './batch-norm.js';
import { untransposedMatMulConfig } from './matmul.js';
import { unpackWasmConfig } from './unpack.js';
import { sliceWasmConfig, splitVWasmConfig } from './slice.js';

/** One kernel tensorslim registers, and why. */
export interface TrainingKernel {
  /** TF.js kernel name. */
  readonly kernelName: string;
  /** 'added' (the backend had none) or 'replaced' (the backend's own one is slower). */
  readonly action: 'added' | 'replaced';
  /** How it is computed. */
  readonly how: string;
  /** Builds the config; `original` is the backend's kernel function when there is one. */
  readonly make: (original: KernelFunc | undefined) => KernelConfig;
}

const need = (name: string, f: KernelFunc | undefined): KernelFunc => {
  if (!f) throw new Error(`tensorslim: the wasm backend has no ${name} kernel to fall back to`);
  return f;
};

/** The wasm kernels, in registration order. */
export const WASM_TRAINING_KERNELS: readonly TrainingKernel[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    action: 'added',
    how: "an implicit-im2col GEMM in WebAssembly SIMD on the heap (4×8 register blocks over the zero-padded input, chunks of images in cache); the forward convolution's multiply-adds",
    make: () => conv2dBackpropFilterWasmConfig(conv2dBackpropFilterKernel('wasm')),
  },
  {
    kernelName: 'Conv2DBackpropInput',
    action: 'replaced',
    how: 'one Conv2D of the output gradient (spread on the input grid when strided) with the flipped, channel-swapped kernel',
    make: () => conv2dBackpropInputConfig('wasm'),
  },
  {
    kernelName: 'Tile',
    action: 'replaced',
    how: 'block copies on the heap (copyWithin doubling); batch-norm gradients tile [1,1,1,C] vectors',
    make: (orig) => tileWasmConfig(need('Tile', orig)),
  },
  {
    kernelName: 'Sum',
    action: 'replaced',
    how: 'outer/middle-axis float32 sums in one pass (float64 accumulators) instead of transpose + innermost sum',
    make: (orig) => reduceWasmConfig('Sum', need('Sum', orig)),
  },
  {
    kernelName: 'Mean',
    action: 'replaced',
    how: 'as Sum, scaled',
    make: (orig) => reduceWasmConfig('Mean', need('Mean', orig)),
  },
  {
    kernelName: 'FusedBatchNorm',
    action: 'replaced',
    how: 'per-channel statistics: one pass on the heap, (x − μ)·γ/√(σ²+ε) + β; other shapes use the backend kernel',
    make: (orig) => batchNormWasmConfig(need('FusedBatchNorm', orig)),
  },
  {
    kernelName: 'Identity',
    action: 'replaced',
    how: 'shares the data (reference count) instead of copying; the engine clones every tensor saved for backprop',
    make: (orig) => identityShareConfig(need('Identity', orig)),
  },
  {
    kernelName: 'Cast',
    action: 'replaced',
    how: 'same-dtype casts share the data; other casts use the backend kernel',
    make: (orig) => castShareConfig(need('Cast', orig)),
  },
  {
    kernelName: 'BatchMatMul',
    action: 'replaced',
    how: "a transposed operand (every matmul gradient has one) is transposed first, then multiplied untransposed by XNNPACK (wasm's transposed path is ~15× slower)",
    make: (orig) => untransposedMatMulConfig('BatchMatMul', need('BatchMatMul', orig)),
  },
  {
    kernelName: '_FusedMatMul',
    action: 'replaced',
    how: 'as BatchMatMul',
    make: (orig) => untransposedMatMulConfig('_FusedMatMul', need('_FusedMatMul', orig)),
  },
  {
    kernelName: 'Slice',
    action: 'replaced',
    how: "copies only the slice, from a heap view (wasm's own copies the whole input first)",
    make: (orig) => sliceWasmConfig(need('Slice', orig)),
  },
  {
    kernelName: 'SplitV',
    action: 'replaced',
    how: 'slices as Slice above',
    make: (orig) => splitVWasmConfig(need('SplitV', orig)),
  },
  {
    kernelName: 'Unpack',
    action: 'replaced',
    how: 'inner-axis unstack: one transpose to the front, then contiguous slices',
    make: (orig) => unpackWasmConfig(need('Unpack', orig)),
  },
  {
    kernelName: 'UnsortedSegmentSum',
    action: 'added',
    how: 'row scatter-add in one pass (gradient of gather / embedding layers)',
    make: () => unsortedSegmentSumWasmConfig,
  },
];

const replaced = new Map<string, KernelConfig | undefined>();

/** True when {@link registerWasmTrainingKernels} is in effect. */
export function wasmTrainingKernelsRegistered(): boolean {
  return replaced.size > 0;
}

/**
 * Registers {@link WASM_TRAINING_KERNELS} for the 'wasm' backend (idempotent). The backend's own
 * kernels that are replaced are kept (with their setup functions, which still initialize their
 * wasm bindings) and used as fallbacks. Call after importing '@tensorflow/tfjs-backend-wasm';
 * before or after `tf.setBackend('wasm')`. Returns the kernel names registered.
 */
export function registerWasmTrainingKernels(): string[] {
  if (replaced.size > 0) return WASM_TRAINING_KERNELS.map((k) => k.kernelName);
  if (!getKernel('Conv2D', 'wasm')) {
    throw new Error("tensorslim: the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first (selectBackend does)");
  }
  for (const k of WASM_TRAINING_KERNELS) {
    const original = getKernel(k.kernelName, 'wasm');
    const config = k.make(original?.kernelFunc);
    if (original) unregisterKernel(k.kernelName, 'wasm');
    registerKernel({
      ...config,
      ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
      ...(original?.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
    });
    replaced.set(k.kernelName, original);
  }
  return WASM_TRAINING_KERNELS.map((k) => k.kernelName);
}

/** Restores the wasm backend's own kernels (removes the added ones). */
export function unregisterWasmTrainingKernels(): void {
  for (const [name, original] of replaced) {
    unregisterKernel(name, 'wasm');
    if (original) registerKernel(original);
  }
  replaced.clear();
}
