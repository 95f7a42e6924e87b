/**
 * Tensor-ring layers, built by core's `defineLayers`.
 *
 * Layout (the paper's, shared with every plugin): a conv kernel is the tensor
 * `[o_1..o_m, kh·kw, i_1..i_n]`. With ring ranks r, the output cores multiply to
 * O = `[r_0, Cout, r_m]`, the spatial core is S = `[r_m, kh·kw, r_{m+1}]`, and the input cores
 * multiply to I = `[r_{m+1}, Cin, r_0]`; W[o, s, i] = trace(O[o]·S[s]·I[i]). The stages:
 * - input map `[Cin, r_0·r_{m+1}]` (channel a·r_{m+1} + c holds I[c, :, a]);
 * - a kh×kw convolution r_{m+1} → r_m, the same for each ring index a (core's `'shared'` middle:
 *   the r_0 copies run folded into the batch, r_0·kh·kw·r_{m+1}·r_m multiply-adds per pixel);
 * - output map `[r_0·r_m, Cout]` (row a·r_m + b holds O[a, :, b]).
 * Dense layers are the same without the spatial core: `[In, r_0·r_m]` then `[r_0·r_m, Out]`.
 * Weights: `core_0…core_{d−1}` (`[r_k, n_k, r_{k+1}]`), then the bias.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { chainCores, defineLayers, layoutDims, layoutModes } from '@tensorslim/core';
import { ringOf } from './decomposition.js';
import { trCoreShapes, validateTrRanks } from './ranks.js';

/** The TR entries of a layer's config. */
export interface TrLayerConfig {
  /** Ring ranks, one per mode of the tensorized kernel (the ring closes on ranks[0]). */
  readonly ranks: number[];
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

/** The TR layer classes `TRConv2D` and `TRDense` and their factory. */
export const trLayers = defineLayers<TrLayerConfig>({
  classNames: { conv2d: 'TRConv2D', dense: 'TRDense' },
  readConfig: (c, layout, name) => ({ ranks: validateTrRanks(layoutModes(layout), c.ranks as number[], { forSvd: false, what: `${name} ranks` }) }),
  coreShapes: (layout, { ranks }) => trCoreShapes(layoutModes(layout), ranks).map((shape, k) => ({ name: `core_${k}`, shape })),
  maps(cores, layout, { ranks }) {
    const m = layout.outModes.length;
    const outMap = outMapOf(chainCores(cores.slice(0, m)));
    if (layout.kind === 'dense') return { inMap: inMapOf(chainCores(cores.slice(m))), middle: null, outMap };
    const { kh, kw } = layoutDims(layout);
    const S = cores[m] as tf.Tensor3D; // [r_m, kh·kw, r_{m+1}] → a [kh, kw, r_{m+1}, r_m] kernel
    const middle = tf.reshape(tf.transpose(S, [1, 2, 0]), [kh, kw, ranks[m + 1]!, ranks[m]!]);
    return { inMap: inMapOf(chainCores(cores.slice(m + 1))), middle, middleForm: 'shared', outMap };
  },
  stageSizes(layout, { ranks }) {
    const m = layout.outModes.length;
    const r0 = ranks[0]!;
    const { cin, cout, kh, kw } = layoutDims(layout);
    if (layout.kind === 'dense') return { cin, r1: r0 * ranks[m]!, r2: r0 * ranks[m]!, cout, kh: 1, kw: 1, middleIdentity: true };
    return { cin, r1: r0 * ranks[m + 1]!, r2: r0 * ranks[m]!, cout, kh, kw, groups: r0 };
  },
  fromFactors: (factors) => ({
    config: { ranks: ringOf(factors.cores).ranks },
    cores: factors.cores.map((c) => ({ shape: [...c.shape], data: c.data })),
  }),
});

/** A tensor-ring convolution (NHWC); config `outModes`, `inModes`, `ranks`. */
export const TRConv2D = trLayers.Conv2D;
/** A tensor-ring convolution layer. */
export type TRConv2D = InstanceType<typeof TRConv2D>;
/** A tensor-ring dense layer; config `outModes`, `inModes`, `ranks`. */
export const TRDense = trLayers.Dense;
/** A tensor-ring dense layer. */
export type TRDense = InstanceType<typeof TRDense>;
