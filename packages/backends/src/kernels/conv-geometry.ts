/**
 * Geometry shared by the convolution-gradient kernels: the forward convolution's padding and
 * output size, from the same TF.js helper the backends use, so that every padding mode
 * ('same', 'valid', a number, explicit pairs) and rounding mode means what it means in TF.js.
 *
 * @module
 */
import { backend_util } from '@tensorflow/tfjs-core';

/** The forward convolution a gradient kernel differentiates (NHWC). */
export interface ConvGradGeometry {
  /** Batch. */
  readonly n: number;
  /** Input height and width. */
  readonly inH: number;
  /** Input width. */
  readonly inW: number;
  /** Input channels. */
  readonly inC: number;
  /** Output height. */
  readonly outH: number;
  /** Output width. */
  readonly outW: number;
  /** Output channels. */
  readonly outC: number;
  /** Kernel height. */
  readonly kh: number;
  /** Kernel width. */
  readonly kw: number;
  /** Stride (rows). */
  readonly sh: number;
  /** Stride (columns). */
  readonly sw: number;
  /** Dilation (rows). */
  readonly dh: number;
  /** Dilation (columns). */
  readonly dw: number;
  /** Zero rows added above the input. */
  readonly top: number;
  /** Zero columns added left of the input. */
  readonly left: number;
}

/** The attributes of the Conv2DBackpropFilter / Conv2DBackpropInput kernels (plus optional dilations). */
export interface ConvGradAttrs {
  /** Forward strides. */
  readonly strides: number | [number, number];
  /** Forward padding. */
  readonly pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  /** 'NHWC' (default) or 'NCHW'. */
  readonly dataFormat?: 'NHWC' | 'NCHW';
  /** Rounding of the output size when pad is a number. */
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
  /** Forward dilations; not an attribute of TF.js's kernels, accepted here when given. */
  readonly dilations?: number | [number, number];
}

/** The geometry of the forward convolution of an NHWC input with a [kh, kw, Cin, Cout] filter. */
export function convGradGeometry(inShape: readonly number[], filterShape: readonly number[], attrs: ConvGradAttrs): ConvGradGeometry {
  const info = backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    n: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** NCHW shape → NHWC shape. */
export function toNhwcShape(shape: readonly number[]): number[] {
  return [shape[0]!, shape[2]!, shape[3]!, shape[1]!];
}
