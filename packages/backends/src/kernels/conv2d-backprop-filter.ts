/**
 * Conv2DBackpropFilter as one forward convolution (XNNPACK speed on wasm).
 *
 * dW[a, b, ci, co] = Σ_{n,i,j} x[n, i·sh + a·dh − top, j·sw + b·dw − left, ci] · dy[n, i, j, co]
 *
 * which is a convolution of the input, transposed to [Cin, H, W, N] (channels become the batch,
 * the batch becomes the contracted channel axis), with the output gradient transposed to
 * [Ho, Wo, N, Cout] as the filter: the forward stride becomes the filter's dilation, the forward
 * dilation becomes the stride, the forward padding stays the padding, and the result
 * [Cin, kh, kw, Cout] is transposed to the kernel layout [kh, kw, Cin, Cout].
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convGradGeometry, type ConvGradAttrs } from './conv-geometry.js';
import { KernelScope, type CompositeBackend } from './scope.js';

/** Attributes of Conv2DBackpropFilter. */
export interface Conv2DBackpropFilterAttrs extends ConvGradAttrs {
  /** [kh, kw, Cin, Cout]. */
  readonly filterShape: [number, number, number, number];
}

/** The filter gradient computed with the kernels of `scope`'s backend (NHWC tensors). */
export function conv2dBackpropFilterNhwc(scope: KernelScope, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo {
  const g = convGradGeometry(x.shape, attrs.filterShape, attrs);
  // Rows of x the convolution reads: a·dh + i·sh − top for a < kh, i < Ho.
  const bottom = (g.kh - 1) * g.dh + (g.outH - 1) * g.sh + 1 - g.inH - g.top;
  const right = (g.kw - 1) * g.dw + (g.outW - 1) * g.sw + 1 - g.inW - g.left;
  let xt = scope.transpose(x, [3, 1, 2, 0]); // [Cin, H, W, N]
  // Rows below the last one read are cropped; zeros above/left are the conv's own padding.
  xt = scope.padOrCrop(xt, [
    [0, 0],
    [Math.min(0, g.top), Math.min(0, bottom)],
    [Math.min(0, g.left), Math.min(0, right)],
    [0, 0],
  ]);
  const dyt = scope.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Cout]
  const r = scope.run('Conv2D', { x: xt, filter: dyt }, {
    strides: [g.dh, g.dw],
    dilations: [g.sh, g.sw],
    pad: [
      [0, 0],
      [Math.max(0, g.top), Math.max(0, bottom)],
      [Math.max(0, g.left), Math.max(0, right)],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  } as unknown as NamedAttrMap); // [Cin, kh, kw, Cout]
  return scope.transpose(r, [1, 2, 0, 3]);
}

/** Kernel function of Conv2DBackpropFilter for any backend with Conv2D, Transpose, Slice. */
export function conv2dBackpropFilterKernel(backendName: string): KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const scope = new KernelScope(backend as CompositeBackend, backendName);
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    try {
      let x = inputs['x']!;
      let dy = inputs['dy']!;
      if (a.dataFormat === 'NCHW') {
        x = scope.transpose(x, [0, 2, 3, 1]);
        dy = scope.transpose(dy, [0, 2, 3, 1]);
      }
      return scope.finish(conv2dBackpropFilterNhwc(scope, x, dy, a));
    } catch (e) {
      scope.dispose();
      throw e;
    }
  };
}

/** The kernel config registered for `backendName`. */
export function conv2dBackpropFilterConfig(backendName: string): KernelConfig {
  return { kernelName: 'Conv2DBackpropFilter', backendName, kernelFunc: conv2dBackpropFilterKernel(backendName) };
}
