/**
 * `TTConv2D`: a convolution whose kernel is a TT tensor in the paper's layout
 * [o_1..o_m, kh·kw, i_1..i_n].
 *
 * Forward ('factorized'): the input cores (right end of the chain) contract to a 1×1 map
 * Cin → r_{m+1}; the spatial core becomes a kh×kw convolution r_{m+1} → r_m with the layer's
 * stride, padding and dilation; the output cores (left end) map r_m → Cout; then bias and
 * activation. 'reconstructed' rebuilds the dense kernel and runs one convolution; 'auto' picks
 * the cheaper by multiply-adds.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FactorizedConv2D,
  type CoreShape,
  type FactorizedConv2DArgs,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';
import { contractLeft, contractRight, ttCoreShapes, validateTtLayerShape, type TtLayerShape } from './tt-maps.js';

/** Constructor arguments (and serialized config) of {@link TTConv2D}. */
export interface TTConv2DArgs extends FactorizedConv2DArgs, TtLayerShape {}

/** A TT-factorized 2-D convolution (NHWC). Weights: `core_0` … `core_{d-1}`, then `bias`. */
export class TTConv2D extends FactorizedConv2D {
  /** The TF.js serialization name. */
  static className = 'TTConv2D';
  /** Factors of the output channels. */
  readonly outModes: number[];
  /** Factors of the input channels. */
  readonly inModes: number[];
  /** The d+1 TT ranks. */
  readonly ranks: number[];
  /** Mode sizes [...outModes, kh·kw, ...inModes]. */
  readonly modes: number[];

  constructor(args: TTConv2DArgs) {
    super(args);
    const [kh, kw] = this.kernelSize;
    this.modes = validateTtLayerShape(args, 'conv2d', [kh, kw, args.inputChannels, args.units], this.name);
    this.outModes = [...args.outModes];
    this.inModes = [...args.inModes];
    this.ranks = [...args.ranks];
  }

  /** Core k has shape [r_k, n_k, r_{k+1}]. */
  override coreShapes(): CoreShape[] {
    return ttCoreShapes(this.modes, this.ranks).map((shape, k) => ({ name: `core_${k}`, shape }));
  }

  /**
   * inMap [Cin, r_{m+1}] from the input cores, middle [kh, kw, r_{m+1}, r_m] from the spatial
   * core, outMap [r_m, Cout] from the output cores (m = number of output modes).
   */
  override maps(cores: tf.Tensor[]): ThreeStageMaps {
    const m = this.outModes.length;
    const [kh, kw] = this.kernelSize;
    const outMap = tf.transpose(contractLeft(cores.slice(0, m))) as tf.Tensor2D; // [r_m, Cout]
    const g = cores[m]!;
    const middle = tf.transpose(tf.reshape(g, [this.ranks[m]!, kh, kw, this.ranks[m + 1]!]), [1, 2, 3, 0]);
    const inMap = tf.transpose(contractRight(cores.slice(m + 1))) as tf.Tensor2D; // [Cin, r_{m+1}]
    return { inMap, middle, outMap };
  }

  /** Stage sizes for FLOP counts: Cin → r_{m+1} → (kh×kw) → r_m → Cout. */
  override stageSizes(): ThreeStageSizes {
    const m = this.outModes.length;
    const [kh, kw] = this.kernelSize;
    return { cin: this.inputChannels, r1: this.ranks[m + 1]!, r2: this.ranks[m]!, cout: this.units, kh, kw };
  }

  /** Parameters stored in the cores (bias excluded). */
  coreParamCount(): number {
    return ttCoreShapes(this.modes, this.ranks).reduce((a, s) => a + s[0]! * s[1]! * s[2]!, 0);
  }

  /** The TT part of the config: outModes, inModes, ranks. */
  override pluginConfig(): Record<string, unknown> {
    return { outModes: [...this.outModes], inModes: [...this.inModes], ranks: [...this.ranks] };
  }
}
