/**
 * Conv2DBackpropInput as one forward convolution (XNNPACK speed on wasm).
 *
 * dx[n, y, x, ci] = Σ_{a,b,co} dy[n, i, j, co] · W[a, b, ci, co]   where y + top = i·sh + a·dh
 *
 * For stride 1 this is a convolution of dy with the kernel flipped in both spatial axes and with
 * its channel axes swapped ([kh, kw, Cout, Cin]), dilated like the forward one, with padding
 * (kh − 1)·dh − top above.
 *
 * For stride s > 1 (dilation 1) the input grid splits into s_h·s_w phases (row ≡ φ_h, column ≡ φ_w
 * modulo the stride, counted from the padded origin); each phase only sees the kernel taps
 * a ≡ φ_h, b ≡ φ_w, so it is a stride-1 convolution of dy with that flipped sub-kernel. The s_h·s_w
 * results are interleaved back (concat on channels, one transpose) and cropped: the FLOPs of the
 * forward convolution, where spreading dy onto the input grid would cost s_h·s_w times more.
 * When dilation and stride are both > 1, or the kernel is smaller than the stride (a strided 1×1
 * shortcut, where most phases would be zeros), dy is spread (s − 1 zeros between rows and columns)
 * and convolved once instead.
 *
 * @module
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { convGradGeometry, toNhwcShape, type ConvGradAttrs, type ConvGradGeometry } from './conv-geometry.js';
import { KernelScope, type CompositeBackend, type KernelInputs } from './scope.js';

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
  const p = scope.run(
    'PadV2',
    { x: d6 },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return scope.reshape(p, [n, h * sh, w * sw, c]);
}

/** The input gradient for stride > 1, dilation 1, by phases (see the module comment). */
export function conv2dBackpropInputByPhases(scope: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGradGeometry): TensorInfo {
  const [n, ho, wo] = dy.shape as [number, number, number, number];
  const ci = g.inC;
  const co = g.outC;
  const qminH = Math.floor(g.top / g.sh);
  const qminW = Math.floor(g.left / g.sw);
  const qh = Math.floor((g.top + g.inH - 1) / g.sh) - qminH + 1;
  const qw = Math.floor((g.left + g.inW - 1) / g.sw) - qminW + 1;
  const phases: TensorInfo[] = [];
  for (let ph = 0; ph < g.sh; ph++) {
    for (let pw = 0; pw < g.sw; pw++) {
      const kh = ph < g.kh ? Math.ceil((g.kh - ph) / g.sh) : 0;
      const kw = pw < g.kw ? Math.ceil((g.kw - pw) / g.sw) : 0;
      if (kh === 0 || kw === 0) {
        phases.push(scope.run('Fill', {}, { shape: [n, qh, qw, ci], value: 0, dtype: 'float32' }));
        continue;
      }
      // taps a = ph + k·sh, b = pw + l·sw; flipped; channels swapped → [kh, kw, Cout, Cin]
      const taps = scope.run(
        'StridedSlice',
        { x: filter },
        {
          begin: [ph, pw, 0, 0],
          end: [g.kh, g.kw, ci, co],
          strides: [g.sh, g.sw, 1, 1],
          beginMask: 0,
          endMask: 0,
          ellipsisMask: 0,
          newAxisMask: 0,
          shrinkAxisMask: 0,
        },
      );
      const sub = scope.transpose(scope.run('Reverse', { x: taps }, { dims: [0, 1] }), [0, 1, 3, 2]);
      const top = kh - 1 - qminH;
      const bottom = qh - ho - top + kh - 1;
      const left = kw - 1 - qminW;
      const right = qw - wo - left + kw - 1;
      const src = scope.padOrCrop(dy, [
        [0, 0],
        [Math.min(0, top), Math.min(0, bottom)],
        [Math.min(0, left), Math.min(0, right)],
        [0, 0],
      ]);
      phases.push(
        scope.run('Conv2D', { x: src, filter: sub }, {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [Math.max(0, top), Math.max(0, bottom)],
            [Math.max(0, left), Math.max(0, right)],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        } as unknown as NamedAttrMap),
      );
    }
  }
  // [N, Qh, Qw, (φh, φw, Cin)] → [N, Qh, φh, Qw, φw, Cin] → [N, Qh·sh, Qw·sw, Cin]
  const stacked = phases.length === 1 ? phases[0]! : scope.run('Concat', phases as unknown as KernelInputs, { axis: 3 });
  const grid = scope.reshape(scope.transpose(scope.reshape(stacked, [n, qh, qw, g.sh, g.sw, ci]), [0, 1, 3, 2, 4, 5]), [n, qh * g.sh, qw * g.sw, ci]);
  const offH = g.top - qminH * g.sh;
  const offW = g.left - qminW * g.sw;
  return scope.padOrCrop(grid, [
    [0, 0],
    [-offH, -(qh * g.sh - offH - g.inH)],
    [-offW, -(qw * g.sw - offW - g.inW)],
    [0, 0],
  ]);
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
  // by phases when every phase has a tap (kernel ≥ stride); a 1×1 strided kernel spreads instead
  if ((g.sh > 1 || g.sw > 1) && g.dh === 1 && g.dw === 1 && g.kh >= g.sh && g.kw >= g.sw) {
    return conv2dBackpropInputByPhases(scope, dy, filter, g);
  }
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
  return scope.run('Conv2D', { x: src, filter: wT }, {
    strides: [1, 1],
    dilations: [g.dh, g.dw],
    pad: [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  } as unknown as NamedAttrMap);
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
