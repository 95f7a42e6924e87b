/**
 * The TT layers, built by core's `defineLayers` from the TT cores of a kernel in the paper's
 * layout [o_1..o_m, kh·kw, i_1..i_n] (dense: [o_1..o_m, i_1..i_n]):
 * - input map [Cin, r_{m+1}]: the input cores contracted right to left;
 * - middle: the spatial core as a kh×kw convolution r_{m+1} → r_m with the layer's stride,
 *   padding and dilation (dense layers have none);
 * - output map [r_m, Cout]: the output cores contracted left to right.
 * Weights: `core_0` … `core_{d-1}` ([r_k, n_k, r_{k+1}]), then `bias`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { chainCores, defineLayers, layoutDims, layoutModes, type TensorLayout } from '@tensorslim/core';
import type { RankValue } from '@tensorslim/core';
import { validateTtFactors } from './decomposition.js';
import { validateTtRanks } from './ranks.js';

/** The TT entries of a layer's config. */
export interface TtLayerConfig {
  /** d+1 TT ranks for the layout's modes [...outModes, (kh·kw,) ...inModes], r0 = rd = 1. */
  readonly ranks: number[];
}

/** Cores G_a..G_b contracted right to left into a [r_a, n_a·…·n_b] matrix (the last core's right rank is 1). */
function contractRight(cores: readonly tf.Tensor[]): tf.Tensor2D {
  const last = cores[cores.length - 1]!;
  let m = tf.reshape(last, [last.shape[0]!, last.shape[1]! * last.shape[2]!]) as tf.Tensor2D;
  for (let k = cores.length - 2; k >= 0; k--) {
    const [r, n, r2] = cores[k]!.shape as [number, number, number];
    m = tf.reshape(tf.matMul(tf.reshape(cores[k]!, [r * n, r2]) as tf.Tensor2D, m), [r, -1]) as tf.Tensor2D;
  }
  return m;
}

/** The output map [r_m, Cout]: cores 0..m−1 contracted left to right (the first left rank is 1). */
function outMapOf(cores: readonly tf.Tensor[]): tf.Tensor2D {
  const c = chainCores(cores);
  return tf.transpose(tf.reshape(c, [c.shape[1], c.shape[2]])) as tf.Tensor2D;
}

/** The TT layer classes `TTConv2D` and `TTDense` and their factory. */
export const ttLayers = defineLayers<TtLayerConfig, { ranks: readonly RankValue[] }>({
  classNames: { conv2d: 'TTConv2D', dense: 'TTDense' },
  readConfig: (c, layout, name) => ({ ranks: validateTtRanks(layoutModes(layout), c.ranks as RankValue[], `${name}: TT ranks`) }),
  coreShapes: (layout: TensorLayout, { ranks }) => layoutModes(layout).map((n, k) => ({ name: `core_${k}`, shape: [ranks[k]!, n, ranks[k + 1]!] })),
  maps(cores, layout, { ranks }) {
    const m = layout.outModes.length;
    if (layout.kind === 'dense')
      return { inMap: tf.transpose(contractRight(cores.slice(m))) as tf.Tensor2D, middle: null, outMap: outMapOf(cores.slice(0, m)) };
    const { kh, kw } = layoutDims(layout);
    const middle = tf.transpose(tf.reshape(cores[m]!, [ranks[m]!, kh, kw, ranks[m + 1]!]), [1, 2, 3, 0]);
    return { inMap: tf.transpose(contractRight(cores.slice(m + 1))) as tf.Tensor2D, middle, outMap: outMapOf(cores.slice(0, m)) };
  },
  stageSizes(layout, { ranks }) {
    const m = layout.outModes.length;
    const { cin, cout, kh, kw } = layoutDims(layout);
    if (layout.kind === 'dense') return { cin, r1: ranks[m]!, r2: ranks[m]!, cout, kh: 1, kw: 1, middleIdentity: true };
    return { cin, r1: ranks[m + 1]!, r2: ranks[m]!, cout, kh, kw };
  },
  fromFactors(factors, _layout, name) {
    validateTtFactors(factors, `${name}: TT factors`);
    return { config: { ranks: [...factors.ranks] }, cores: [...factors.cores] };
  },
});

/** A TT-factorized 2-D convolution (NHWC); config `outModes`, `inModes`, `ranks`. */
export const TTConv2D = ttLayers.Conv2D;
/** A TT-factorized convolution layer. */
export type TTConv2D = InstanceType<typeof TTConv2D>;
/** A TT-factorized dense layer; config `outModes`, `inModes`, `ranks`. */
export const TTDense = ttLayers.Dense;
/** A TT-factorized dense layer. */
export type TTDense = InstanceType<typeof TTDense>;
