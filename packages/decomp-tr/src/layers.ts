/**
 * Tensor-ring layers: {@link TRConv2D} and {@link TRDense}, on core's factorized-layer bases.
 *
 * Layout (the paper's, shared with every plugin): a conv kernel is the tensor
 * `[o_1..o_m, kh·kw, i_1..i_n]`. With ring ranks r, the output cores multiply to
 * O = `[r_0, Cout, r_m]`, the spatial core is S = `[r_m, kh·kw, r_{m+1}]`, and the input cores
 * multiply to I = `[r_{m+1}, Cin, r_0]`; W[o, s, i] = trace(O[o]·S[s]·I[i]). The forward:
 * - input map `[Cin, r_0·r_{m+1}]` (channel a·r_{m+1} + c holds I[c, :, a]);
 * - a kh×kw convolution r_{m+1} → r_m run once per ring index a (the r_0 copies are folded into
 *   the batch, which is exact and costs r_0·kh·kw·r_{m+1}·r_m per pixel), equivalently the
 *   block-diagonal kernel `[kh, kw, r_0·r_{m+1}, r_0·r_m]` of {@link TRConv2D.maps};
 * - output map `[r_0·r_m, Cout]` (row a·r_m + b holds O[a, :, b]).
 * Dense layers are the same without the spatial core: `[In, r_0·r_m]` then `[r_0·r_m, Out]`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ErrorCodes,
  FactorizedConv2D,
  FactorizedDense,
  factorizedBias,
  factorizedLayerArgs,
  fail,
  layoutModes,
  mapChannels,
  registerLayerClasses,
  type CoreShape,
  type DenseLayerInfo,
  type Factors,
  type FactorizedConv2DArgs,
  type FactorizedLayerArgs,
  type FactorizedLayerSpec,
  type LayerFactory,
  type LayerTarget,
  type ThreeStageMaps,
  type ThreeStageSizes,
  flopsForMode,
} from '@tensorslim/core';
import { sizeOf, type DenseTensor } from '@tensorslim/linalg';
import { ringOf } from './cores.js';
import { validateTrRanks } from './ranks.js';

/** TR-specific config of both layers. */
export interface TRLayerArgs {
  /** Factors of the output channels (∏ = units). */
  outModes: number[];
  /** Factors of the input channels (∏ = inputChannels). */
  inModes: number[];
  /** Ring ranks, one per mode of the tensorized kernel (the ring closes on ranks[0]). */
  ranks: number[];
}

/** Config of {@link TRConv2D}. */
export type TRConv2DArgs = FactorizedConv2DArgs & TRLayerArgs;
/** Config of {@link TRDense}. */
export type TRDenseArgs = FactorizedLayerArgs & TRLayerArgs;

/** Sizes a TR conv layer's cost depends on. */
export interface TRConvSizes {
  /** Input channels. */
  cin: number;
  /** Output channels. */
  cout: number;
  /** Kernel height. */
  kh: number;
  /** Kernel width. */
  kw: number;
  /** The ring-closing rank r_0. */
  r0: number;
  /** r_{m+1}: the rank between the spatial core and the input cores. */
  rIn: number;
  /** r_m: the rank between the output cores and the spatial core. */
  rOut: number;
}

/**
 * Multiply-adds per example of {@link TRConv2D}'s factorized forward as it runs: input map
 * (H_in·W_in·Cin·r_0·r_{m+1}), r_0 convolutions (H_out·W_out·kh·kw·r_0·r_{m+1}·r_m), output map
 * (H_out·W_out·r_0·r_m·Cout).
 */
export function trConvFlops(s: TRConvSizes, inPixels: number, outPixels: number): number {
  return (
    inPixels * s.cin * s.r0 * s.rIn + outPixels * s.kh * s.kw * s.r0 * s.rIn * s.rOut + outPixels * s.r0 * s.rOut * s.cout
  );
}

/** Multiply-adds per example of {@link TRDense}'s factorized forward: (In + Out)·r_0·r_m. */
export function trDenseFlops(cin: number, cout: number, r0: number, rMid: number): number {
  return (cin + cout) * r0 * rMid;
}

function checkModes(modes: unknown, n: number, what: string, layer: string): number[] {
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((x) => !Number.isInteger(x) || (x as number) < 1)) {
    fail(ErrorCodes.FACTOR, `${layer}: ${what} must be a non-empty list of positive integers, got ${JSON.stringify(modes)}`);
  }
  if (sizeOf(modes as number[]) !== n) {
    fail(
      ErrorCodes.FACTOR,
      `${layer}: ${what} [${(modes as number[]).join(', ')}] multiply to ${sizeOf(modes as number[])}, not ${n}`,
      `use factors of ${n}`,
    );
  }
  return [...(modes as number[])];
}

/** Product of consecutive TF.js cores [a, n1, b]·[b, n2, c]··· → [a, n1·n2···, z]. */
function tfChain(cores: tf.Tensor[]): tf.Tensor3D {
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

/** Input map [Cin, r0·r] from the input-core product I = [r, Cin, r0]. */
function inMapOf(I: tf.Tensor3D): tf.Tensor2D {
  const [r, cin, r0] = I.shape;
  return tf.reshape(tf.transpose(I, [1, 2, 0]), [cin, r0 * r]) as tf.Tensor2D;
}

/** Output map [r0·r, Cout] from the output-core product O = [r0, Cout, r]. */
function outMapOf(O: tf.Tensor3D): tf.Tensor2D {
  const [r0, cout, r] = O.shape;
  return tf.reshape(tf.transpose(O, [0, 2, 1]), [r0 * r, cout]) as tf.Tensor2D;
}

/**
 * A tensor-ring convolution (NHWC): input cores → kh×kw convolution on the ring ranks with the
 * original stride/padding/dilation → output cores, closing the ring. Weights: `core_0…core_{d−1}`
 * (`[r_k, n_k, r_{k+1}]`, modes `[o_1..o_m, kh·kw, i_1..i_n]`), then the bias.
 */
export class TRConv2D extends FactorizedConv2D {
  /** TF.js serialization name. */
  static className = 'TRConv2D';
  /** Factors of Cout. */
  readonly outModes: number[];
  /** Factors of Cin. */
  readonly inModes: number[];
  /** Ring ranks (d = outModes + 1 + inModes). */
  readonly ranks: number[];
  private pixels: [number, number] = [0, 0];

  constructor(args: TRConv2DArgs) {
    super(args);
    this.outModes = checkModes(args.outModes, this.units, 'outModes', this.name);
    this.inModes = checkModes(args.inModes, this.inputChannels, 'inModes', this.name);
    this.ranks = validateTrRanks(this.modes(), args.ranks, { forSvd: false, what: `${this.name} ranks` });
  }

  /** Mode sizes of the tensorized kernel: [...outModes, kh·kw, ...inModes]. */
  modes(): number[] {
    return [...this.outModes, this.kernelSize[0] * this.kernelSize[1], ...this.inModes];
  }

  /** The cost-relevant sizes (r_0, r_{m+1}, r_m, channels, kernel). */
  trSizes(): TRConvSizes {
    const m = this.outModes.length;
    return {
      cin: this.inputChannels,
      cout: this.units,
      kh: this.kernelSize[0],
      kw: this.kernelSize[1],
      r0: this.ranks[0]!,
      rIn: this.ranks[m + 1]!,
      rOut: this.ranks[m]!,
    };
  }

  override coreShapes(): CoreShape[] {
    const n = this.modes();
    const d = n.length;
    return n.map((nk, k) => ({ name: `core_${k}`, shape: [this.ranks[k]!, nk, this.ranks[(k + 1) % d]!] }));
  }

  /** The three products of the cores: O [r0, Cout, r_m], S [r_m, kh·kw, r_{m+1}], I [r_{m+1}, Cin, r0]. */
  private products(cores: tf.Tensor[]): { O: tf.Tensor3D; S: tf.Tensor3D; I: tf.Tensor3D } {
    const m = this.outModes.length;
    return { O: tfChain(cores.slice(0, m)), S: cores[m] as tf.Tensor3D, I: tfChain(cores.slice(m + 1)) };
  }

  /** The spatial core as a conv kernel [kh, kw, r_{m+1}, r_m]. */
  private spatialKernel(S: tf.Tensor3D): tf.Tensor4D {
    const [rOut, , rIn] = S.shape;
    const [kh, kw] = this.kernelSize;
    return tf.reshape(tf.transpose(S, [1, 2, 0]), [kh, kw, rIn, rOut]) as tf.Tensor4D;
  }

  /**
   * The three stages with the middle as the dense block-diagonal kernel
   * `[kh, kw, r_0·r_{m+1}, r_0·r_m]` (what `reconstructed` mode and {@link reconstructKernel} use).
   */
  override maps(cores: tf.Tensor[]): ThreeStageMaps {
    const { O, S, I } = this.products(cores);
    const k = this.spatialKernel(S);
    const [kh, kw, rIn, rOut] = k.shape;
    const r0 = this.ranks[0]!;
    const middle =
      r0 === 1
        ? k
        : tf.reshape(
            tf.mul(tf.reshape(tf.eye(r0), [1, 1, r0, 1, r0, 1]), tf.reshape(k, [kh, kw, 1, rIn, 1, rOut])),
            [kh, kw, r0 * rIn, r0 * rOut],
          );
    return { inMap: inMapOf(I), middle, outMap: outMapOf(O) };
  }

  override stageSizes(): ThreeStageSizes {
    const s = this.trSizes();
    return { cin: s.cin, r1: s.r0 * s.rIn, r2: s.r0 * s.rOut, cout: s.cout, kh: s.kh, kw: s.kw };
  }

  override pluginConfig(): Record<string, unknown> {
    return { outModes: [...this.outModes], inModes: [...this.inModes], ranks: [...this.ranks] };
  }

  /** Records the input and output pixel counts (for FLOPs), then builds as the base does. */
  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const out = this.computeOutputShape(s) as (number | null)[];
    this.pixels = [(s[1] ?? 1) * (s[2] ?? 1), (out[1] ?? 1) * (out[2] ?? 1)];
    super.build(inputShape);
  }

  /** Multiply-adds per example of the factorized forward as it runs (r_0 folded into the batch). */
  override factorizedFlops(): number {
    return trConvFlops(this.trSizes(), this.pixels[0], this.pixels[1]);
  }

  /**
   * The forward. Factorized with r_0 > 1: input map, the r_0 ring copies folded into the batch for
   * one kh×kw convolution, unfolded, output map. Otherwise the base's three-stage or reconstructed path.
   */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const r0 = this.ranks[0]!;
    if (this.forwardMode !== 'factorized' || r0 === 1) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const { O, S, I } = this.products(this.coreValues());
      const k = this.spatialKernel(S);
      const [, , rIn, rOut] = k.shape;
      const h1 = mapChannels(x, inMapOf(I)) as tf.Tensor4D; // [B, H, W, r0·rIn]
      const [B, H, Wd] = h1.shape;
      const folded = tf.reshape(tf.transpose(tf.reshape(h1, [B, H, Wd, r0, rIn]), [0, 3, 1, 2, 4]), [B * r0, H, Wd, rIn]) as tf.Tensor4D;
      const h2 = tf.conv2d(folded, k, this.strides, this.padding, 'NHWC', this.dilationRate); // [B·r0, H', W', rOut]
      const [, H2, W2] = h2.shape;
      const unfolded = tf.reshape(tf.transpose(tf.reshape(h2, [B, r0, H2, W2, rOut]), [0, 2, 3, 1, 4]), [B, H2, W2, r0 * rOut]);
      return this.finish(mapChannels(unfolded, outMapOf(O)));
    });
  }
}

/**
 * A tensor-ring dense layer: x·[In, r_0·r_m]·[r_0·r_m, Out] where the maps are the input- and
 * output-core products. Weights: `core_0…core_{d−1}` (modes `[o_1..o_m, i_1..i_n]`), then the bias.
 */
export class TRDense extends FactorizedDense {
  /** TF.js serialization name. */
  static className = 'TRDense';
  /** Factors of Out. */
  readonly outModes: number[];
  /** Factors of In. */
  readonly inModes: number[];
  /** Ring ranks (d = outModes + inModes). */
  readonly ranks: number[];

  constructor(args: TRDenseArgs) {
    super(args);
    this.outModes = checkModes(args.outModes, this.units, 'outModes', this.name);
    this.inModes = checkModes(args.inModes, this.inputChannels, 'inModes', this.name);
    this.ranks = validateTrRanks(this.modes(), args.ranks, { forSvd: false, what: `${this.name} ranks` });
  }

  /** Mode sizes of the tensorized kernel: [...outModes, ...inModes]. */
  modes(): number[] {
    return [...this.outModes, ...this.inModes];
  }

  override coreShapes(): CoreShape[] {
    const n = this.modes();
    const d = n.length;
    return n.map((nk, k) => ({ name: `core_${k}`, shape: [this.ranks[k]!, nk, this.ranks[(k + 1) % d]!] }));
  }

  override maps(cores: tf.Tensor[]): ThreeStageMaps {
    const m = this.outModes.length;
    return { inMap: inMapOf(tfChain(cores.slice(m))), middle: null, outMap: outMapOf(tfChain(cores.slice(0, m))) };
  }

  override stageSizes(): ThreeStageSizes {
    const r = this.ranks[0]! * this.ranks[this.outModes.length]!;
    return { cin: this.inputChannels, r1: r, r2: r, cout: this.units, kh: 1, kw: 1, middleIdentity: true };
  }

  override pluginConfig(): Record<string, unknown> {
    return { outModes: [...this.outModes], inModes: [...this.inModes], ranks: [...this.ranks] };
  }
}

/** The TR layer classes, for TF.js serialization. */
export const trLayerClasses = [TRConv2D, TRDense] as const;

/** Registers {@link TRConv2D} and {@link TRDense} with TF.js serialization (idempotent). */
export function registerTrLayers(): void {
  registerLayerClasses(trLayerClasses as unknown as Parameters<typeof registerLayerClasses>[0]);
}

// Registered when this module loads, so a saved model loads again in a fresh process that imports the package.
registerTrLayers();

/**
 * The TR layer equivalent to `layer` with the given factors (a ring of `layer`'s kernel tensorized
 * by `target.layout`): config, initial weights (cores, then bias), parameters and the
 * multiply-adds of the forward as it will run (plan option `forwardMode`, or `mode`; default `auto`).
 */
export function trFromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
  const layout = target.layout;
  const args = factorizedLayerArgs(layer, target); // checks that the layout describes the layer
  const want = layoutModes(layout);
  const { shape, ranks } = ringOf(factors.cores);
  if (shape.length !== want.length || shape.some((s, i) => s !== want[i])) {
    fail(
      ErrorCodes.SHAPE,
      `${layer.name}: TR cores have modes [${shape.join(', ')}] but the layout's modes are [${want.join(', ')}]`,
      'decompose the kernel tensorized with the same layout (outModes, inModes)',
    );
  }
  const mode = args.mode ?? 'auto';
  const config: Record<string, unknown> = { ...args, outModes: [...layout.outModes], inModes: [...layout.inModes], ranks };
  const weights: DenseTensor[] = [...factors.cores.map((c) => ({ shape: [...c.shape], data: c.data }))];
  const bias = factorizedBias(layer, args);
  if (bias) weights.push(bias);
  const params = weights.reduce((s, w) => s + w.data.length, 0);
  let flops: number;
  let className: string;
  if (layer.kind === 'conv2d') {
    const [kh, kw, cin, cout] = layout.kernelShape as [number, number, number, number];
    const m = layout.outModes.length;
    const inPixels = (layer.inputShape[0] ?? 1) * (layer.inputShape[1] ?? 1);
    const outPixels = (layer.outputShape[0] ?? 1) * (layer.outputShape[1] ?? 1);
    const fact = trConvFlops({ cin, cout, kh, kw, r0: ranks[0]!, rIn: ranks[m + 1]!, rOut: ranks[m]! }, inPixels, outPixels);
    const dense = outPixels * kh * kw * cin * cout;
    flops = flopsForMode(mode, fact, dense);
    className = TRConv2D.className;
  } else {
    const [cin, cout] = layout.kernelShape as [number, number];
    const fact = trDenseFlops(cin, cout, ranks[0]!, ranks[layout.outModes.length]!);
    const dense = cin * cout;
    flops = flopsForMode(mode, fact, dense);
    className = TRDense.className;
  }
  return { className, config, weights, params, flops };
}

/** The TR layer factory (core's `LayerFactory` contract). */
export const trLayerFactory: LayerFactory = {
  kinds: ['conv2d', 'dense'],
  classNames: [TRConv2D.className, TRDense.className],
  register: registerTrLayers,
  fromFactors: trFromFactors,
};
