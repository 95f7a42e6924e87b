/**
 * CP layers for TF.js.
 *
 * {@link CPConv2D} is the separable convolution of Lebedev et al. 2015 ("Speeding-up
 * Convolutional Neural Networks Using Fine-tuned CP-Decomposition", ICLR): the CP factors of the
 * tensorized kernel [Cout, kh·kw, Cin] give
 * 1. a 1×1 convolution Cin → R (the input factor),
 * 2. a kh×kw depthwise convolution over the R channels (rank-1 term r filters its own channel
 *    with column r of the spatial factor reshaped to kh×kw), with the original stride, padding
 *    and dilation,
 * 3. a 1×1 convolution R → Cout (the output factor, with λ folded in).
 *
 * For core's three-stage contract the middle stage is written as a [kh, kw, R, R] kernel that is
 * diagonal across channels (used by the `reconstructed` forward and {@link CPConv2D.reconstructKernel});
 * the `factorized` forward runs it as `tf.depthwiseConv2d`, and the FLOP count is that of the
 * depthwise stage: H_in·W_in·Cin·R + H_out·W_out·(kh·kw·R + R·Cout) multiply-adds per example.
 *
 * Layouts with several out or in modes (outModes [o_1, …, o_m]) work too: the channel map is the
 * Khatri–Rao product of the per-mode factors, so a CP of [o_1, …, o_m, kh·kw, i_1, …, i_n] is a
 * CP of [Cout, kh·kw, Cin].
 *
 * {@link CPDense} is the same without the spatial stage: x · A_in (In → R), then · A_outᵀ (R → Out).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  fail,
  FactorizedConv2D,
  FactorizedDense,
  mapChannels,
  registerLayerClasses,
  type CoreShape,
  type FactorizedConv2DArgs,
  type FactorizedLayerArgs,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';

/** The CP part of a layer's config (serialized with the model). */
export interface CPLayerConfig {
  /** The CP rank R. */
  rank: number;
  /** Factors of the output channels (default [units]). */
  outModes?: number[];
  /** Factors of the input channels (default [inputChannels]). */
  inModes?: number[];
}

/** Constructor arguments of {@link CPConv2D}. */
export interface CPConv2DArgs extends FactorizedConv2DArgs, CPLayerConfig {}

/** Constructor arguments of {@link CPDense}. */
export interface CPDenseArgs extends FactorizedLayerArgs, CPLayerConfig {}

type Shape = (number | null)[];

function checkRank(rank: unknown, name: string): number {
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) {
    fail(ErrorCodes.RANK, `${name}: CP rank ${String(rank)} is not a positive integer`, 'pass rank: R with a whole number R ≥ 1');
  }
  return rank;
}

function checkModes(modes: unknown, n: number, what: 'outModes' | 'inModes', name: string): number[] {
  const ms = modes ?? [n];
  if (!Array.isArray(ms) || ms.length === 0 || ms.some((m) => !Number.isInteger(m) || m < 1) || ms.reduce((p: number, m: number) => p * m, 1) !== n) {
    fail(
      ErrorCodes.FACTOR,
      `${name}: ${what} [${Array.isArray(ms) ? ms.join(', ') : String(ms)}] must be positive integers multiplying to the layer's ${n} ${what === 'outModes' ? 'output' : 'input'} channels`,
      `e.g. ${what}: [${n}]`,
    );
  }
  return [...(ms as number[])];
}

/**
 * The Khatri–Rao product of [I_k, R] tensors with TF.js ops (differentiable): rows in row-major
 * order of (i_1, i_2, …), matching core's tensorization of channels into modes.
 */
export function khatriRaoTf(mats: readonly tf.Tensor[]): tf.Tensor2D {
  let acc = mats[0] as tf.Tensor2D;
  for (let k = 1; k < mats.length; k++) {
    const b = mats[k] as tf.Tensor2D;
    const [i, r] = acc.shape;
    const j = b.shape[0];
    acc = tf.reshape(tf.mul(tf.reshape(acc, [i, 1, r]), tf.reshape(b, [1, j, r])), [i * j, r]);
  }
  return acc;
}

/**
 * Multiply-adds per example of the CP convolution run as 1×1 → depthwise kh×kw → 1×1.
 */
export function cpConvFlops(s: { cin: number; rank: number; cout: number; kh: number; kw: number }, inPixels: number, outPixels: number): number {
  return inPixels * s.cin * s.rank + outPixels * (s.kh * s.kw * s.rank + s.rank * s.cout);
}

/** The CP convolution of Lebedev et al. 2015 (see the module description). */
export class CPConv2D extends FactorizedConv2D {
  /** TF.js serialization name. */
  static readonly className = 'CPConv2D';
  /** The CP rank R. */
  readonly rank: number;
  /** Factors of the output channels. */
  readonly outModes: number[];
  /** Factors of the input channels. */
  readonly inModes: number[];
  private pixels: [number, number] = [0, 0];

  constructor(args: CPConv2DArgs) {
    super(args);
    const name = args.name ?? 'CPConv2D';
    this.rank = checkRank(args.rank, name);
    this.outModes = checkModes(args.outModes, this.units, 'outModes', name);
    this.inModes = checkModes(args.inModes, this.inputChannels, 'inModes', name);
  }

  /** out_0..out_{m−1} [o_k, R], spatial [kh·kw, R], in_0..in_{n−1} [i_k, R] — the layout's mode order. */
  coreShapes(): CoreShape[] {
    const R = this.rank;
    const [kh, kw] = this.kernelSize;
    return [
      ...this.outModes.map((o, k) => ({ name: `out_${k}`, shape: [o, R] })),
      { name: 'spatial', shape: [kh * kw, R] },
      ...this.inModes.map((i, k) => ({ name: `in_${k}`, shape: [i, R] })),
    ];
  }

  /** The three factorized stages: input map [Cin, R], depthwise filter [kh, kw, R, 1], output map [R, Cout]. */
  separableStages(cores: tf.Tensor[]): { inMap: tf.Tensor2D; depthwise: tf.Tensor4D; outMap: tf.Tensor2D } {
    const m = this.outModes.length;
    const [kh, kw] = this.kernelSize;
    const outMap = tf.transpose(khatriRaoTf(cores.slice(0, m))) as tf.Tensor2D;
    const depthwise = tf.reshape(cores[m]!, [kh, kw, this.rank, 1]) as tf.Tensor4D;
    const inMap = khatriRaoTf(cores.slice(m + 1));
    return { inMap, depthwise, outMap };
  }

  /** Core's three stages; the middle is the depthwise filter as a channel-diagonal [kh, kw, R, R] kernel. */
  maps(cores: tf.Tensor[]): ThreeStageMaps {
    const { inMap, depthwise, outMap } = this.separableStages(cores);
    const R = this.rank;
    const middle = tf.mul(depthwise, tf.reshape(tf.eye(R), [1, 1, R, R]));
    return { inMap, middle, outMap };
  }

  /** Stage sizes (R → R in the middle; see {@link CPConv2D.factorizedFlops} for the depthwise count). */
  stageSizes(): ThreeStageSizes {
    const [kh, kw] = this.kernelSize;
    return { cin: this.inputChannels, r1: this.rank, r2: this.rank, cout: this.units, kh, kw };
  }

  /** rank, outModes, inModes. */
  pluginConfig(): Record<string, unknown> {
    return { rank: this.rank, outModes: [...this.outModes], inModes: [...this.inModes] };
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const out = this.computeOutputShape(s);
    this.pixels = [(s[1] ?? 1) * (s[2] ?? 1), (out[1] ?? 1) * (out[2] ?? 1)];
    super.build(inputShape);
  }

  /** Multiply-adds per example of the 1×1 → depthwise → 1×1 forward (valid after build). */
  override factorizedFlops(): number {
    const [kh, kw] = this.kernelSize;
    return cpConvFlops({ cin: this.inputChannels, rank: this.rank, cout: this.units, kh, kw }, this.pixels[0], this.pixels[1]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    if (this.forwardMode === 'reconstructed') return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const { inMap, depthwise, outMap } = this.separableStages(this.coreValues());
      let h = mapChannels(x, inMap) as tf.Tensor4D;
      h = tf.depthwiseConv2d(h, depthwise, this.strides, this.padding, 'NHWC', this.dilationRate);
      return this.finish(mapChannels(h, outMap));
    });
  }
}

/** The CP dense layer: x · A_in (In → R) · A_outᵀ (R → Out), λ folded into A_out. */
export class CPDense extends FactorizedDense {
  /** TF.js serialization name. */
  static readonly className = 'CPDense';
  /** The CP rank R. */
  readonly rank: number;
  /** Factors of the output features. */
  readonly outModes: number[];
  /** Factors of the input features. */
  readonly inModes: number[];

  constructor(args: CPDenseArgs) {
    super(args);
    const name = args.name ?? 'CPDense';
    this.rank = checkRank(args.rank, name);
    this.outModes = checkModes(args.outModes, this.units, 'outModes', name);
    this.inModes = checkModes(args.inModes, this.inputChannels, 'inModes', name);
  }

  /** out_0..out_{m−1} [o_k, R], in_0..in_{n−1} [i_k, R]. */
  coreShapes(): CoreShape[] {
    const R = this.rank;
    return [
      ...this.outModes.map((o, k) => ({ name: `out_${k}`, shape: [o, R] })),
      ...this.inModes.map((i, k) => ({ name: `in_${k}`, shape: [i, R] })),
    ];
  }

  /** Input map [In, R], no middle stage, output map [R, Out]. */
  maps(cores: tf.Tensor[]): ThreeStageMaps {
    const m = this.outModes.length;
    return {
      inMap: khatriRaoTf(cores.slice(m)),
      middle: null,
      outMap: tf.transpose(khatriRaoTf(cores.slice(0, m))) as tf.Tensor2D,
    };
  }

  /** In → R → Out. */
  stageSizes(): ThreeStageSizes {
    return { cin: this.inputChannels, r1: this.rank, r2: this.rank, cout: this.units, kh: 1, kw: 1, middleIdentity: true };
  }

  /** rank, outModes, inModes. */
  pluginConfig(): Record<string, unknown> {
    return { rank: this.rank, outModes: [...this.outModes], inModes: [...this.inModes] };
  }
}

/** Registers the CP layers with TF.js serialization (idempotent). */
export function registerCpLayers(): void {
  registerLayerClasses([CPConv2D, CPDense]);
}

registerCpLayers(); // at import: saved models load after `import '@tensorslim-examples/decomp-cp'`
