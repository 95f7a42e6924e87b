/**
 * The computation every factorized layer of the paper's layout shares: an input map
 * (Cin → R1, a 1×1 convolution run as a matmul), a middle stage (a kh×kw convolution R1 → R2 with
 * the original stride/padding/dilation, or an R1×R2 matrix for dense layers), and an output map
 * (R2 → Cout). TT, TR and Tucker-2 layers differ only in how they build the three from their cores.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * How a convolution's middle kernel covers its R1 → R2 channels:
 * - `'full'` (the default): a `[kh, kw, R1, R2]` kernel, one `tf.conv2d`;
 * - `'depthwise'`: a `[kh, kw, R, 1]` kernel, channel r filtered by its own filter (R1 = R2 = R;
 *   CP's separable convolution), one `tf.depthwiseConv2d`;
 * - `'shared'`: a `[kh, kw, c1, c2]` kernel applied with the same weights to each of
 *   g = R1 / c1 channel groups (R2 = g·c2; the tensor ring's convolution per ring index), run as
 *   one `tf.conv2d` with the groups folded into the batch.
 * Each is the dense kernel its {@link fullMiddle} expansion gives, which the `reconstructed`
 * forward uses.
 */
export type MiddleForm = 'full' | 'depthwise' | 'shared';

/** The three stages of a factorized layer. A `null` map is the identity. */
export interface ThreeStageMaps {
  /** [Cin, R1] or null (R1 = Cin). */
  readonly inMap: tf.Tensor2D | null;
  /** Conv: a kernel as {@link middleForm} says; dense: [R1, R2] or null (R1 = R2). */
  readonly middle: tf.Tensor | null;
  /** [R2, Cout] or null (R2 = Cout). */
  readonly outMap: tf.Tensor2D | null;
  /** How a convolution's `middle` covers its channels (default `'full'`). */
  readonly middleForm?: MiddleForm;
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

/**
 * The middle convolution of {@link threeStageConv2d} alone, in the kernel's {@link MiddleForm}:
 * `h` has R1 channels (the input map's output), the result R2.
 */
export function middleConv2d(h: tf.Tensor4D, maps: ThreeStageMaps, geom: ConvGeometry): tf.Tensor4D {
  const k = maps.middle as tf.Tensor4D;
  const strides = geom.strides as [number, number];
  const dilation = geom.dilationRate as [number, number];
  const form = maps.middleForm ?? 'full';
  if (form === 'depthwise') return tf.depthwiseConv2d(h, k, strides, geom.padding, 'NHWC', dilation);
  const [B, H, W, r1] = h.shape;
  const [, , c1, c2] = k.shape;
  const g = form === 'shared' ? r1 / c1 : 1;
  if (g === 1) return tf.conv2d(h, k, strides, geom.padding, 'NHWC', dilation);
  // the g groups of c1 channels folded into the batch, one convolution, unfolded again
  const folded = tf.reshape(tf.transpose(tf.reshape(h, [B, H, W, g, c1]), [0, 3, 1, 2, 4]), [B * g, H, W, c1]) as tf.Tensor4D;
  const y = tf.conv2d(folded, k, strides, geom.padding, 'NHWC', dilation);
  const [, H2, W2] = y.shape;
  return tf.reshape(tf.transpose(tf.reshape(y, [B, g, H2, W2, c2]), [0, 2, 3, 1, 4]), [B, H2, W2, g * c2]) as tf.Tensor4D;
}

/** The factorized forward of a convolution: inMap → conv(middle) → outMap. */
export function threeStageConv2d(x: tf.Tensor4D, maps: ThreeStageMaps, geom: ConvGeometry): tf.Tensor4D {
  let h: tf.Tensor = x;
  if (maps.inMap) h = mapChannels(h, maps.inMap);
  h = middleConv2d(h as tf.Tensor4D, maps, geom);
  if (maps.outMap) h = mapChannels(h, maps.outMap);
  return h as tf.Tensor4D;
}

/**
 * The middle kernel as one dense `[kh, kw, R1, R2]` convolution kernel (`r1` = R1, the channels
 * after the input map): a `'depthwise'` kernel becomes channel-diagonal, a `'shared'` one
 * block-diagonal (one block per group).
 */
export function fullMiddle(maps: ThreeStageMaps, r1: number): tf.Tensor4D {
  const k = maps.middle as tf.Tensor4D;
  const [kh, kw, c1, c2] = k.shape;
  const form = maps.middleForm ?? 'full';
  if (form === 'depthwise') return tf.mul(k, tf.reshape(tf.eye(c1), [1, 1, c1, c1]));
  if (form === 'full') return k;
  const g = r1 / c1;
  if (g === 1) return k;
  return tf.reshape(tf.mul(tf.reshape(tf.eye(g), [1, 1, g, 1, g, 1]), tf.reshape(k, [kh, kw, 1, c1, 1, c2])), [kh, kw, g * c1, g * c2]);
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
  const mid = fullMiddle(maps, maps.inMap ? maps.inMap.shape[1] : cin);
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
  /**
   * Channel groups of the middle convolution (default 1): each output channel reads R1/groups
   * input channels (a depthwise middle has groups = R1 = R2; see {@link MiddleForm}).
   */
  groups?: number;
}

/**
 * Multiply-adds per example of the factorized forward. `inPixels` is H_in·W_in, `outPixels`
 * H_out·W_out (both 1 for dense layers).
 */
export function threeStageFlops(s: ThreeStageSizes, inPixels: number, outPixels: number): number {
  return (
    (s.inIdentity ? 0 : inPixels * s.cin * s.r1) +
    (s.middleIdentity ? 0 : (outPixels * s.kh * s.kw * s.r1 * s.r2) / (s.groups ?? 1)) +
    (s.outIdentity ? 0 : outPixels * s.r2 * s.cout)
  );
}

/** Multiply-adds per example of the dense layer (conv: H_out·W_out·kh·kw·Cin·Cout). */
export function denseFlops(kh: number, kw: number, cin: number, cout: number, outPixels: number): number {
  return outPixels * kh * kw * cin * cout;
}

/**
 * The product of consecutive 3-way cores `[a, n_1, b]·[b, n_2, c]···` as one `[a, n_1·n_2···, z]`
 * tensor (the merged mode row-major over the cores' modes), left to right with TF.js ops
 * (differentiable): the channel maps of train and ring formats.
 */
export function chainCores(cores: readonly tf.Tensor[]): tf.Tensor3D {
  let acc = cores[0]! as tf.Tensor3D;
  for (let k = 1; k < cores.length; k++) {
    const c = cores[k]! as tf.Tensor3D;
    const [ra, p, rb] = acc.shape;
    const [, n, rc] = c.shape;
    const prod = tf.matMul(tf.reshape(acc, [ra * p, rb]) as tf.Tensor2D, tf.reshape(c, [rb, n * rc]) as tf.Tensor2D);
    acc = tf.reshape(prod, [ra, p * n, rc]) as tf.Tensor3D;
  }
  return acc;
}
