/**
 * Identity and same-dtype Cast without a copy. The engine clones every tensor it saves for the
 * backward pass (Identity), and wasm's Identity copies the whole buffer: ~600 full copies per
 * ResNet-20 training step. TF.js tensors are immutable (a variable's assign swaps its data id),
 * so sharing the data with a reference count, as the cpu backend and wasm's own Reshape do,
 * is safe.
 *
 * @module
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { CompositeBackend } from './scope.js';

/** Identity sharing the input's data (string tensors go to `fallback`). */
export function identityShareKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string') return fallback(args);
    (args.backend as CompositeBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Cast sharing the input's data when the dtype does not change; other casts go to `fallback`. */
export function castShareKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs['x']!;
    const dtype = (args.attrs as unknown as { dtype: string }).dtype;
    if (dtype !== x.dtype || x.dtype === 'string') return fallback(args);
    (args.backend as CompositeBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Identity config for wasm. */
export function identityShareConfig(fallback: KernelFunc): KernelConfig {
  return { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identityShareKernel(fallback) };
}

/** Cast config for wasm. */
export function castShareConfig(fallback: KernelFunc): KernelConfig {
  return { kernelName: 'Cast', backendName: 'wasm', kernelFunc: castShareKernel(fallback) };
}
