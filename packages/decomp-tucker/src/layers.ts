/**
 * Tucker layers, built by core's `defineLayers`: `Tucker2Conv2D` and `TuckerDense`.
 *
 * Both store the Tucker core of the layer's tensorized kernel (core's layout
 * [o_1..o_p, kh·kw, i_1..i_q] for a convolution, [o_1..o_p, i_1..i_q] for a dense layer) and one
 * n×r factor per decomposed mode, and run as core's three stages:
 * - input map [Cin, R_in] = U_{i_1} ⊗ … ⊗ U_{i_q} (identity for an in-mode left whole),
 * - middle = the core (times the spatial factor, if the kh·kw mode was decomposed too),
 *   a kh×kw convolution R_in → R_out with the original stride/padding/dilation, or an
 *   R_in × R_out matrix,
 * - output map [R_out, Cout] = (U_{o_1} ⊗ … ⊗ U_{o_p})ᵀ.
 * With the usual layout outModes = [Cout], inModes = [Cin] and modes [0, 2] this is Tucker-2
 * (Kim et al. 2016): a 1×1 conv Cin → r_in, a kh×kw conv r_in → r_out, a 1×1 conv r_out → Cout.
 * Weights: `core` (layout order, e.g. [r_out, kh·kw, r_in]), `factor_<mode>` per decomposed
 * mode, then `bias`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLayers, ErrorCodes, fail, layoutDims, layoutModes, spatialMode, type TensorLayout } from '@tensorslim/core';
import { sizeOf } from '@tensorslim/linalg';
import { validateTuckerFactors } from './decomposition.js';
import { coreShape, defaultChannelModes, validateTuckerRanks } from './ranks.js';

/** The Tucker entries of a layer's config (serialized with the model). */
export interface TuckerLayerConfig {
  /** Decomposed modes of the layout tensor (indices into [...outModes, (kh·kw), ...inModes]). */
  readonly modes: number[];
  /** One rank per decomposed mode. */
  readonly ranks: number[];
}

/** The core's shape and the channel counts after the input map (R_in) and before the output map (R_out). */
function geometry(layout: TensorLayout, { modes, ranks }: TuckerLayerConfig) {
  const core = coreShape(layoutModes(layout), ranks, modes);
  const p = layout.outModes.length;
  const inStart = layout.kind === 'conv2d' ? p + 1 : p;
  return {
    core,
    inStart,
    rOut: sizeOf(core.slice(0, p)),
    rIn: sizeOf(core.slice(inStart)),
    outDecomposed: modes.some((m) => m < p),
    inDecomposed: modes.some((m) => m >= inStart),
  };
}

/** kron(a, b) of 2-D tensors, differentiable. */
function kron(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [p, q] = a.shape;
  const [r, s] = b.shape;
  return tf.reshape(tf.mul(tf.reshape(a, [p, 1, q, 1]), tf.reshape(b, [1, r, 1, s])), [p * r, q * s]);
}

/** Kronecker product of the factors of modes [from, to) (identity for undecomposed ones). */
function kronMap(shape: readonly number[], modes: readonly number[], cores: tf.Tensor[], from: number, to: number): tf.Tensor2D {
  let acc: tf.Tensor2D | null = null;
  for (let m = from; m < to; m++) {
    const i = modes.indexOf(m);
    const f = i >= 0 ? (cores[i + 1] as tf.Tensor2D) : tf.eye(shape[m]!);
    acc = acc ? kron(acc, f) : f;
  }
  return acc!;
}

/** The Tucker layer classes `Tucker2Conv2D` and `TuckerDense` and their factory. */
export const tuckerLayers = defineLayers<TuckerLayerConfig, Partial<TuckerLayerConfig> & { ranks: number[] }>({
  classNames: { conv2d: 'Tucker2Conv2D', dense: 'TuckerDense' },
  readConfig(c, layout, name) {
    const shape = layoutModes(layout);
    const modes = c.modes ? [...(c.modes as number[])] : defaultChannelModes(layout);
    const v = validateTuckerRanks(shape, c.ranks as number[], modes);
    if (v.clamped) {
      fail(
        ErrorCodes.RANK,
        `${name}: ranks [${(c.ranks as number[]).join(', ')}] on modes [${modes.join(', ')}] exceed what the layout [${shape.join(', ')}] allows`,
        `use ranks ≤ [${v.ranks.join(', ')}]`,
      );
    }
    return { modes: v.modes, ranks: v.ranks };
  },
  coreShapes(layout, c) {
    const shape = layoutModes(layout);
    return [{ name: 'core', shape: geometry(layout, c).core }, ...c.modes.map((m, i) => ({ name: `factor_${m}`, shape: [shape[m]!, c.ranks[i]!] }))];
  },
  maps(cores, layout, c) {
    const g = geometry(layout, c);
    const shape = layoutModes(layout);
    const inMap = g.inDecomposed ? kronMap(shape, c.modes, cores, g.inStart, shape.length) : null;
    const outMap = g.outDecomposed ? (tf.transpose(kronMap(shape, c.modes, cores, 0, layout.outModes.length)) as tf.Tensor2D) : null;
    if (layout.kind === 'dense') return { inMap, middle: tf.transpose(tf.reshape(cores[0]!, [g.rOut, g.rIn])), outMap };
    const { kh, kw } = layoutDims(layout);
    const s = spatialMode(layout);
    const n = g.core[s]!;
    // [R_out, n, R_in] → [n, R_in, R_out], times the spatial factor when the kh·kw mode was decomposed
    let m: tf.Tensor = tf.transpose(tf.reshape(cores[0]!, [g.rOut, n, g.rIn]), [1, 2, 0]);
    const si = c.modes.indexOf(s);
    if (si >= 0) m = tf.matMul(cores[si + 1] as tf.Tensor2D, tf.reshape(m, [n, g.rIn * g.rOut]));
    return { inMap, middle: tf.reshape(m, [kh, kw, g.rIn, g.rOut]), outMap };
  },
  stageSizes(layout, c) {
    const g = geometry(layout, c);
    const { cin, cout, kh, kw } = layoutDims(layout);
    return { cin, r1: g.rIn, r2: g.rOut, cout, kh, kw, inIdentity: !g.inDecomposed, outIdentity: !g.outDecomposed };
  },
  fromFactors(factors) {
    const { modes, ranks } = validateTuckerFactors(factors);
    return { config: { modes, ranks }, cores: [...factors.cores] };
  },
});

/** Tucker-2 convolution (NHWC): 1×1 Cin → r_in, kh×kw r_in → r_out, 1×1 r_out → Cout; config `outModes`, `inModes`, `modes`, `ranks`. */
export const Tucker2Conv2D = tuckerLayers.Conv2D;
/** A Tucker convolution layer. */
export type Tucker2Conv2D = InstanceType<typeof Tucker2Conv2D>;
/** Tucker dense layer: In → r_in, the core r_in → r_out, r_out → Out. */
export const TuckerDense = tuckerLayers.Dense;
/** A Tucker dense layer. */
export type TuckerDense = InstanceType<typeof TuckerDense>;
