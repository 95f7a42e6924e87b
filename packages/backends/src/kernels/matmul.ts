/**
 * BatchMatMul and _FusedMatMul with transposed operands for wasm. wasm multiplies untransposed
 * operands with XNNPACK (~30 GFLOP/s on one core here) but runs a transposed operand through a
 * slow path (512×512: 8.6 ms untransposed, 110–160 ms with either flag). Every matmul gradient
 * transposes one operand (dA = dy·Bᵀ, dB = Aᵀ·dy), so LSTM and dense layers trained on wasm spent
 * most of their step there. Transposing the operand first (one memory pass) and multiplying
 * untransposed gives the same product at XNNPACK speed.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope, type CompositeBackend } from './scope.js';

/** The permutation swapping the last two axes of a rank-`r` tensor. */
function swapLast(r: number): number[] {
  const p = Array.from({ length: r }, (_, i) => i);
  [p[r - 2], p[r - 1]] = [p[r - 1]!, p[r - 2]!];
  return p;
}

/** A matmul kernel (`kernelName`) that transposes flagged operands itself, then calls `original` untransposed. */
export function untransposedMatMulKernel(kernelName: 'BatchMatMul' | '_FusedMatMul', original: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as { transposeA?: boolean; transposeB?: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const scope = new KernelScope(args.backend as CompositeBackend, 'wasm', { [kernelName]: original as never });
    try {
      const inputs = { ...args.inputs } as Record<string, TensorInfo>;
      if (attrs.transposeA) inputs['a'] = scope.transpose(inputs['a']!, swapLast(inputs['a']!.shape.length));
      if (attrs.transposeB) inputs['b'] = scope.transpose(inputs['b']!, swapLast(inputs['b']!.shape.length));
      const out = scope.run(kernelName, inputs, { ...args.attrs, transposeA: false, transposeB: false } as unknown as NamedAttrMap);
      return scope.finish(out);
    } catch (e) {
      scope.dispose();
      throw e;
    }
  };
}

/** The config for wasm. */
export function untransposedMatMulConfig(kernelName: 'BatchMatMul' | '_FusedMatMul', original: KernelFunc): KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc: untransposedMatMulKernel(kernelName, original) };
}
