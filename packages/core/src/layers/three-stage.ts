/**
 * The computation every factorized layer of the paper's layout shares: an input map
 * (Cin → R1, a 1×1 convolution run as a matmul), a middle stage (a kh×kw convolution R1 → R2 with
 * the original stride/padding/dilation, or an R1×R2 matrix for dense layers), and an output map
 * (R2 → Cout). TT, TR and Tucker-2 layers differ only in how they build the three from their cores.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The three stages of a factorized layer. A `null` map is the identity. */
export interface ThreeStageMaps {
  /** [Cin, R1] or null (R1 = Cin). */
  readonly inMap: tf.Tensor2D | null;
  /** Conv: [kh, kw, R1, R2]; dense: [R1, R2] or null (R1 = R2). */
  readonly middle: tf.Tensor | null;
  /** [R2, Cout] or null (R2 = Cout). */
  readonly outMap: tf.Tensor2D | null;
}

/** The convolution geometry of the original layer. */
export interface ConvGeometry {
  /** [sh, sw]. */
  readonly strides: readonly [number, number];
  /** 'same' or 'valid'. */
  readonly padding: 'same' | 'valid';
  /** [dh, dw]. */
  readonly dilationRate: readonly [number, number];
}

/** x[..., C] · m[C, R] over the last axis. */
export function mapChannels(x: tf.Tensor, m: tf.Tensor2D): tf.Tensor {
  const shape = x.shape;
  const c = shape[shape.length - 1]!;
  const flat = tf.reshape(x, [-1, c]);
  const y = tf.matMul(flat, m);
  return tf.reshape(y, [...shape.slice(0, -1), m.shape[1]]);
}

/** The factorized forward of a convolution: inMap → conv(middle) → outMap. */
export function threeStageConv2d(x: tf.Tensor4D, maps: ThreeStageMaps, geom: ConvGeometry): tf.Tensor4D {
  let h: tf.Tensor = x;
  if (maps.inMap) h = mapChannels(h, maps.inMap);
  h = tf.conv2d(
    h as tf.Tensor4D,
    maps.middle as tf.Tensor4D,
    geom.strides as [number, number],
    geom.padding,
    'NHWC',
    geom.dilationRate as [number, number],
  );
  if (maps.outMap) h = mapChannels(h, maps.outMap);
  return h as tf.Tensor4D;
}

/** The factorized forward of a dense layer: x · inMap · middle · outMap. */
export function threeStageDense(x: tf.Tensor, maps: ThreeStageMaps): tf.Tensor {
  let h = x;
  if (maps.inMap) h = mapChannels(h, maps.inMap);
  if (maps.middle) h = mapChannels(h, maps.middle as tf.Tensor2D);
  if (maps.outMap) h = mapChannels(h, maps.outMap);
  return h;
}

/** The dense conv kernel [kh, kw, Cin, Cout] the three stages compute. */
export function reconstructConvKernel(maps: ThreeStageMaps, cin: number, cout: number): tf.Tensor4D {
  const mid = maps.middle as tf.Tensor4D;
  const [kh, kw, r1, r2] = mid.shape;
  // [r1, kh*kw*r2]
  let k: tf.Tensor = tf.reshape(tf.transpose(mid, [2, 0, 1, 3]), [r1, kh * kw * r2]);
  if (maps.inMap) k = tf.matMul(maps.inMap, k as tf.Tensor2D); // [cin, kh*kw*r2]
  k = tf.reshape(k, [cin * kh * kw, r2]);
  if (maps.outMap) k = tf.matMul(k as tf.Tensor2D, maps.outMap); // [cin*kh*kw, cout]
  return tf.transpose(tf.reshape(k, [cin, kh, kw, cout]), [1, 2, 0, 3]) as tf.Tensor4D;
}

/** The dense kernel [In, Out] the three stages compute. */
export function reconstructDenseKernel(maps: ThreeStageMaps, cin: number): tf.Tensor2D {
  return threeStageDense(tf.eye(cin), maps) as tf.Tensor2D;
}

/** Sizes of the three stages, for FLOP counts. */
export interface ThreeStageSizes {
  /** Input channels. */
  cin: number;
  /** Channels after the input map. */
  r1: number;
  /** Channels after the middle stage. */
  r2: number;
  /** Output channels. */
  cout: number;
  /** Kernel height and width (1, 1 for dense). */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** Whether the input map is the identity. */
  inIdentity?: boolean;
  /** Whether the middle stage is the identity (dense only). */
  middleIdentity?: boolean;
  /** Whether the output map is the identity. */
  outIdentity?: boolean;
}

/**
 * Multiply-adds per example of the factorized forward. `inPixels` is H_in·W_in, `outPixels`
 * H_out·W_out (both 1 for dense layers).
 */
export function threeStageFlops(s: ThreeStageSizes, inPixels: number, outPixels: number): number {
  return (
    (s.inIdentity ? 0 : inPixels * s.cin * s.r1) +
    (s.middleIdentity ? 0 : outPixels * s.kh * s.kw * s.r1 * s.r2) +
    (s.outIdentity ? 0 : outPixels * s.r2 * s.cout)
  );
}

/** Multiply-adds per example of the dense layer (conv: H_out·W_out·kh·kw·Cin·Cout). */
export function denseFlops(kh: number, kw: number, cin: number, cout: number, outPixels: number): number {
  return outPixels * kh * kw * cin * cout;
}
