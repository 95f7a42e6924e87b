/**
 * Unpack (tf.unstack) for wasm. wasm's own kernel slices the input once per output along the
 * unstacked axis; along an inner axis every slice is a strided gather (an LSTM unstacking
 * [64, 28, 512] over time took 67 ms, as each slice also copied the whole input). Moving the axis
 * to the front first (one transpose) makes every slice a contiguous copy; the slices run through
 * the registered Slice kernel (tensorslim's, which copies only the slice).
 *
 * @module
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope, type CompositeBackend } from './scope.js';

/** The Unpack kernel for wasm; string tensors go to `fallback`. */
export function unpackWasmKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const value = args.inputs['value']!;
    const rank = value.shape.length;
    let axis = (args.attrs as unknown as { axis: number }).axis;
    if (axis < 0) axis += rank;
    if (value.dtype === 'string') return fallback(args);
    const scope = new KernelScope(args.backend as CompositeBackend, 'wasm');
    try {
      const perm = [axis, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis)];
      const t = scope.transpose(value, perm);
      const rest = t.shape.slice(1);
      const outs: TensorInfo[] = [];
      for (let i = 0; i < t.shape[0]!; i++) {
        const s = scope.run('Slice', { x: t }, { begin: [i, ...rest.map(() => 0)], size: [1, ...rest] });
        outs.push(scope.reshape(s, rest));
      }
      return scope.finishAll(outs);
    } catch (e) {
      scope.dispose();
      throw e;
    }
  };
}

/** The Unpack config for wasm. */
export function unpackWasmConfig(fallback: KernelFunc): KernelConfig {
  return { kernelName: 'Unpack', backendName: 'wasm', kernelFunc: unpackWasmKernel(fallback) };
}
