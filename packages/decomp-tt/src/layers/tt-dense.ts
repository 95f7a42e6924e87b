/**
 * `TTDense`: a dense layer whose kernel is a TT tensor in the layout [o_1..o_m, i_1..i_n].
 *
 * Forward ('factorized'): x · inMap (the input cores contracted to [In, r_m]) · outMap (the
 * output cores contracted to [r_m, Out]); then bias and activation. 'reconstructed' rebuilds
 * the [In, Out] kernel; 'auto' picks the cheaper by multiply-adds.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FactorizedDense,
  type CoreShape,
  type FactorizedLayerArgs,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';
import { contractLeft, contractRight, ttCoreShapes, validateTtLayerShape, type TtLayerShape } from './tt-maps.js';

/** Constructor arguments (and serialized config) of {@link TTDense}. */
export interface TTDenseArgs extends FactorizedLayerArgs, TtLayerShape {}

/** A TT-factorized dense layer. Weights: `core_0` … `core_{d-1}`, then `bias`. */
export class TTDense extends FactorizedDense {
  /** The TF.js serialization name. */
  static className = 'TTDense';
  /** Factors of the output units. */
  readonly outModes: number[];
  /** Factors of the input features. */
  readonly inModes: number[];
  /** The d+1 TT ranks. */
  readonly ranks: number[];
  /** Mode sizes [...outModes, ...inModes]. */
  readonly modes: number[];

  constructor(args: TTDenseArgs) {
    super(args);
    this.modes = validateTtLayerShape(args, 'dense', [args.inputChannels, args.units], this.name);
    this.outModes = [...args.outModes];
    this.inModes = [...args.inModes];
    this.ranks = [...args.ranks];
  }

  /** Core k has shape [r_k, n_k, r_{k+1}]. */
  override coreShapes(): CoreShape[] {
    return ttCoreShapes(this.modes, this.ranks).map((shape, k) => ({ name: `core_${k}`, shape }));
  }

  /** inMap [In, r_m] from the input cores, outMap [r_m, Out] from the output cores, no middle. */
  override maps(cores: tf.Tensor[]): ThreeStageMaps {
    const m = this.outModes.length;
    const outMap = tf.transpose(contractLeft(cores.slice(0, m))) as tf.Tensor2D;
    const inMap = tf.transpose(contractRight(cores.slice(m))) as tf.Tensor2D;
    return { inMap, middle: null, outMap };
  }

  /** Stage sizes for FLOP counts: In → r_m → Out. */
  override stageSizes(): ThreeStageSizes {
    const r = this.ranks[this.outModes.length]!;
    return { cin: this.inputChannels, r1: r, r2: r, cout: this.units, kh: 1, kw: 1, middleIdentity: true };
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
