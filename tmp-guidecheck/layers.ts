import { mapChannels } from '@tensorslim/core';

type Shape = (number | null)[];

/** Multiply-adds per example of the CP convolution run as 1×1 → depthwise kh×kw → 1×1. */
export function cpConvFlops(s: { cin: number; rank: number; cout: number; kh: number; kw: number }, inPixels: number, outPixels: number): number {
  return inPixels * s.cin * s.rank + outPixels * (s.kh * s.kw * s.rank + s.rank * s.cout);
}

import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  fail,
  FactorizedConv2D,
  registerLayerClasses,
  type CoreShape,
  type FactorizedConv2DArgs,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';

/** Constructor arguments (and serialized config) of {@link CPConv2D}. */
export interface CPConv2DArgs extends FactorizedConv2DArgs {
  /** The CP rank R. */
  rank: number;
  /** Factors of the output channels (default [units]). */
  outModes?: number[];
  /** Factors of the input channels (default [inputChannels]). */
  inModes?: number[];
}

/** Khatri–Rao product of [I_k, R] factors with TF.js ops (rows in the row-major order of i_1, i_2, …). */
export function khatriRaoTf(mats: readonly tf.Tensor[]): tf.Tensor2D {
  let acc = mats[0] as tf.Tensor2D;
  for (const b of mats.slice(1)) {
    const [i, r] = acc.shape;
    acc = tf.reshape(tf.mul(tf.reshape(acc, [i, 1, r]), tf.reshape(b, [1, b.shape[0]!, r])), [i * b.shape[0]!, r]);
  }
  return acc;
}

/** A CP convolution: 1×1 Cin → R, kh×kw on the R channels, 1×1 R → Cout. */
export class CPConv2D extends FactorizedConv2D {
  /** TF.js serialization name. */
  static readonly className = 'CPConv2D';
  /** The CP rank R. */
  readonly rank: number;
  /** Factors of the output channels. */
  readonly outModes: number[];
  /** Factors of the input channels. */
  readonly inModes: number[];

  constructor(args: CPConv2DArgs) {
    super(args);
    if (!Number.isInteger(args.rank) || args.rank < 1) {
      fail(ErrorCodes.RANK, `${args.name ?? 'CPConv2D'}: CP rank ${String(args.rank)} is not a positive integer`);
    }
    this.rank = args.rank;
    this.outModes = [...(args.outModes ?? [this.units])];
    this.inModes = [...(args.inModes ?? [this.inputChannels])];
  }

  /** The cores, in weight order: out_0..out_{m−1} [o_k, R], spatial [kh·kw, R], in_0..in_{n−1} [i_k, R]. */
  coreShapes(): CoreShape[] {
    const [kh, kw] = this.kernelSize;
    return [
      ...this.outModes.map((o, k) => ({ name: `out_${k}`, shape: [o, this.rank] })),
      { name: 'spatial', shape: [kh * kw, this.rank] },
      ...this.inModes.map((i, k) => ({ name: `in_${k}`, shape: [i, this.rank] })),
    ];
  }

  /** The three stages from the cores, with differentiable TF.js ops. */
  maps(cores: tf.Tensor[]): ThreeStageMaps {
    const m = this.outModes.length;
    const [kh, kw] = this.kernelSize;
    const R = this.rank;
    const outMap = tf.transpose(khatriRaoTf(cores.slice(0, m))) as tf.Tensor2D; // [R, Cout]
    const inMap = khatriRaoTf(cores.slice(m + 1));                            // [Cin, R]
    // spatial column r filters channel r only: a [kh, kw, R, R] kernel that is diagonal in (R, R)
    const middle = tf.mul(tf.reshape(cores[m]!, [kh, kw, R, 1]), tf.reshape(tf.eye(R), [1, 1, R, R]));
    return { inMap, middle, outMap };
  }

  /** Stage sizes for the FLOP count: Cin → R → R → Cout. */
  stageSizes(): ThreeStageSizes {
    const [kh, kw] = this.kernelSize;
    return { cin: this.inputChannels, r1: this.rank, r2: this.rank, cout: this.units, kh, kw };
  }

  /** The config entries of this format (JSON-safe); the constructor accepts every one of them. */
  pluginConfig(): Record<string, unknown> {
    return { rank: this.rank, outModes: [...this.outModes], inModes: [...this.inModes] };
  }
  private pixels: [number, number] = [0, 0];

  /** Records H_in·W_in and H_out·W_out, then lets the base build (which resolves `auto` by FLOPs). */
  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const out = this.computeOutputShape(s);
    this.pixels = [(s[1] ?? 1) * (s[2] ?? 1), (out[1] ?? 1) * (out[2] ?? 1)];
    super.build(inputShape);
  }

  /** Multiply-adds per example of 1×1 → depthwise kh×kw → 1×1 (the factory counts the same, §5). */
  override factorizedFlops(): number {
    const [kh, kw] = this.kernelSize;
    return cpConvFlops({ cin: this.inputChannels, rank: this.rank, cout: this.units, kh, kw }, this.pixels[0], this.pixels[1]);
  }

  /** The factorized forward with a depthwise middle; the reconstructed one is the base's. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    if (this.forwardMode === 'reconstructed') return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const cores = this.coreValues();
      const m = this.outModes.length;
      const [kh, kw] = this.kernelSize;
      let h = mapChannels(x, khatriRaoTf(cores.slice(m + 1))) as tf.Tensor4D;                   // Cin → R
      const depthwise = tf.reshape(cores[m]!, [kh, kw, this.rank, 1]) as tf.Tensor4D;
      h = tf.depthwiseConv2d(h, depthwise, this.strides, this.padding, 'NHWC', this.dilationRate);
      const outMap = tf.transpose(khatriRaoTf(cores.slice(0, m))) as tf.Tensor2D;              // R → Cout
      return this.finish(mapChannels(h, outMap));                                                // bias, activation
    });
  }
}

registerLayerClasses([CPConv2D]); // at import: saved models load after `import 'my-decomp-cp'`
