/**
 * Conv2DBackpropInput as one forward convolution (XNNPACK speed on wasm).
 *
 * dx[n, y, x, ci] = Σ_{a,b,co} dy[n, i, j, co] · W[a, b, ci, co]   where y + top = i·sh + a·dh
 *
 * For stride 1 this is a convolution of dy with the kernel flipped in both spatial axes and with
 * its channel axes swapped ([kh, kw, Cout, Cin]), dilated like the forward one, with padding
 * (kh − 1)·dh − top above. For stride s > 1 the gradient is first spread onto the input grid
 * (s − 1 zeros between its rows and columns: one reshape and one pad), then the same.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convGradGeometry, toNhwcShape, type ConvGradAttrs } from './conv-geometry.js';
import { KernelScope, type CompositeBackend } from './scope.js';

/** Attributes of Conv2DBackpropInput. */
export interface Conv2DBackpropInputAttrs extends ConvGradAttrs {
  /** The forward input's shape (in `dataFormat`). */
  readonly inputShape: [number, number, number, number];
}

/** dy [N, Ho, Wo, C] → [N, Ho·sh, Wo·sw, C] with dy at rows i·sh, columns j·sw and zeros elsewhere. */
export function spreadOnGrid(scope: KernelScope, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [n, h, w, c] = dy.shape as [number, number, number, number];
  const d6 = scope.reshape(dy, [n, h, 1, w, 1, c]);
  const p = scope.run('PadV2', { x: d6 }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
  return scope.reshape(p, [n, h * sh, w * sw, c]);
}

/** The input gradient computed with the kernels of `scope`'s backend (NHWC tensors). */
export function conv2dBackpropInputNhwc(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  inShapeNhwc: readonly number[],
  attrs: ConvGradAttrs,
): TensorInfo {
  const g = convGradGeometry(inShapeNhwc, filter.shape, attrs);
  const flipped = scope.run('Reverse', { x: filter }, { dims: [0, 1] });
  const wT = scope.transpose(flipped, [0, 1, 3, 2]); // [kh, kw, Cout, Cin]
  const spread = spreadOnGrid(scope, dy, g.sh, g.sw); // rows i·sh hold dy[i]
  const top = (g.kh - 1) * g.dh - g.top;
  const left = (g.kw - 1) * g.dw - g.left;
  // Output rows: spreadRows + top + bottom − (kh − 1)·dh = H.
  const bottom = g.inH + (g.kh - 1) * g.dh - spread.shape[1]! - top;
  const right = g.inW + (g.kw - 1) * g.dw - spread.shape[2]! - left;
  const src = scope.padOrCrop(spread, [
    [0, 0],
    [Math.min(0, top), Math.min(0, bottom)],
    [Math.min(0, left), Math.min(0, right)],
    [0, 0],
  ]);
  return scope.run(
    'Conv2D',
    { x: src, filter: wT },
    {
      strides: [1, 1],
      dilations: [g.dh, g.dw],
      pad: [
        [0, 0],
        [Math.max(0, top), Math.max(0, bottom)],
        [Math.max(0, left), Math.max(0, right)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
    } as unknown as NamedAttrMap,
  );
}

/** Kernel function of Conv2DBackpropInput for any backend with Conv2D, Reverse, Transpose, PadV2, Slice. */
export function conv2dBackpropInputKernel(backendName: string): KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const scope = new KernelScope(backend as CompositeBackend, backendName);
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    try {
      const nchw = a.dataFormat === 'NCHW';
      let dy = inputs['dy']!;
      if (nchw) dy = scope.transpose(dy, [0, 2, 3, 1]);
      const inShape = nchw ? toNhwcShape(a.inputShape) : a.inputShape;
      let dx = conv2dBackpropInputNhwc(scope, dy, inputs['filter']!, inShape, a);
      if (nchw) dx = scope.transpose(dx, [0, 3, 1, 2]);
      return scope.finish(dx);
    } catch (e) {
      scope.dispose();
      throw e;
    }
  };
}

/** The kernel config registered for `backendName`. */
export function conv2dBackpropInputConfig(backendName: string): KernelConfig {
  return { kernelName: 'Conv2DBackpropInput', backendName, kernelFunc: conv2dBackpropInputKernel(backendName) };
}
