/**
 * The CP layers, built by core's `defineLayers` from the CP factors of the tensorized kernel.
 *
 * `CPConv2D` is the separable convolution of Lebedev et al. 2015 ("Speeding-up Convolutional
 * Neural Networks Using Fine-tuned CP-Decomposition", ICLR): for the layout [Cout, kh·kw, Cin]
 * 1. a 1×1 convolution Cin → R (the input factor),
 * 2. a kh×kw depthwise convolution over the R channels (rank-1 term r filters its own channel
 *    with column r of the spatial factor reshaped to kh×kw: core's `'depthwise'` middle), with
 *    the original stride, padding and dilation,
 * 3. a 1×1 convolution R → Cout (the output factor, with λ folded in).
 * Layouts with several out or in modes work too: the channel maps are Khatri–Rao products of the
 * per-mode factors, so a CP of [o_1, …, o_m, kh·kw, i_1, …, i_n] is a CP of [Cout, kh·kw, Cin].
 * `CPDense` is the same without the spatial stage. Weights: `out_k`, (`spatial`,) `in_k`, `bias`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLayers, ErrorCodes, fail, layoutDims } from '@tensorslim/core';
import { validateCpFactors } from './decomposition.js';

/** The CP entry of a layer's config. */
export interface CpLayerConfig {
  /** The CP rank R. */
  readonly rank: number;
}

/**
 * The Khatri–Rao product of [I_k, R] tensors with TF.js ops (differentiable): rows in row-major
 * order of (i_1, i_2, …), matching core's tensorization of channels into modes.
 */
export function khatriRaoTf(mats: readonly tf.Tensor[]): tf.Tensor2D {
  let acc = mats[0] as tf.Tensor2D;
  for (const b of mats.slice(1)) {
    const [i, r] = acc.shape;
    acc = tf.reshape(tf.mul(tf.reshape(acc, [i, 1, r]), tf.reshape(b, [1, b.shape[0]!, r])), [i * b.shape[0]!, r]);
  }
  return acc;
}

/** The CP layer classes `CPConv2D` and `CPDense` and their factory. */
export const cpLayers = defineLayers<CpLayerConfig>({
  classNames: { conv2d: 'CPConv2D', dense: 'CPDense' },
  readConfig({ rank }, _layout, name) {
    if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) {
      fail(ErrorCodes.RANK, `${name}: CP rank ${String(rank)} is not a positive integer`, 'pass rank: R with a whole number R ≥ 1');
    }
    return { rank };
  },
  coreShapes(layout, { rank }) {
    const { kh, kw } = layoutDims(layout);
    const spatial = layout.kind === 'conv2d' ? [{ name: 'spatial', shape: [kh * kw, rank] }] : [];
    return [
      ...layout.outModes.map((o, k) => ({ name: `out_${k}`, shape: [o, rank] })),
      ...spatial,
      ...layout.inModes.map((i, k) => ({ name: `in_${k}`, shape: [i, rank] })),
    ];
  },
  maps(cores, layout, { rank }) {
    const m = layout.outModes.length;
    const outMap = tf.transpose(khatriRaoTf(cores.slice(0, m))) as tf.Tensor2D; // [R, Cout]
    if (layout.kind === 'dense') return { inMap: khatriRaoTf(cores.slice(m)), middle: null, outMap };
    const { kh, kw } = layoutDims(layout);
    const middle = tf.reshape(cores[m]!, [kh, kw, rank, 1]); // depthwise: column r filters channel r
    return { inMap: khatriRaoTf(cores.slice(m + 1)), middle, middleForm: 'depthwise', outMap };
  },
  stageSizes(layout, { rank }) {
    const { cin, cout, kh, kw } = layoutDims(layout);
    if (layout.kind === 'dense') return { cin, r1: rank, r2: rank, cout, kh: 1, kw: 1, middleIdentity: true };
    return { cin, r1: rank, r2: rank, cout, kh, kw, groups: rank };
  },
  fromFactors(factors, _layout, name) {
    // the factor matrices in the layout's mode order, λ folded into the first output-mode factor
    const { rank, factors: fs, weights } = validateCpFactors(factors, name);
    const cores = fs.map((f, k) => {
      const data = Float64Array.from(f.data);
      if (k === 0) for (let i = 0; i < f.shape[0]!; i++) for (let r = 0; r < rank; r++) data[i * rank + r]! *= weights[r]!;
      return { shape: [...f.shape], data };
    });
    return { config: { rank }, cores };
  },
});

/** The CP convolution (1×1 → depthwise kh×kw → 1×1); config `rank`, `outModes`, `inModes`. */
export const CPConv2D = cpLayers.Conv2D;
/** A CP convolution layer. */
export type CPConv2D = InstanceType<typeof CPConv2D>;
/** The CP dense layer: x · A_in (In → R) · A_outᵀ (R → Out); config `rank`, `outModes`, `inModes`. */
export const CPDense = cpLayers.Dense;
/** A CP dense layer. */
export type CPDense = InstanceType<typeof CPDense>;
