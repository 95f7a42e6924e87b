/**
 * Contracting runs of TT cores into the matrices of the three-stage forward, with TF.js ops
 * (differentiable, so gradients reach every core).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, fail, layoutModes, type TensorLayout } from '@tensorslim/core';
import { sizeOf } from '@tensorslim/linalg';
import { validateTtRanks } from '../ranks.js';

/**
 * Cores G_a..G_b (each [r, n, r']) contracted left to right into a [n_a·…·n_b, r_{b+1}] matrix;
 * the first core's left rank must be 1. Row index: (n_a, …, n_b) row-major.
 */
export function contractLeft(cores: readonly tf.Tensor[]): tf.Tensor2D {
  const first = cores[0]!;
  let m = tf.reshape(first, [first.shape[0]! * first.shape[1]!, first.shape[2]!]) as tf.Tensor2D;
  for (let k = 1; k < cores.length; k++) {
    const g = cores[k]!;
    const [r, n, r2] = g.shape as [number, number, number];
    const p = tf.matMul(m, tf.reshape(g, [r, n * r2]) as tf.Tensor2D);
    m = tf.reshape(p, [-1, r2]) as tf.Tensor2D;
  }
  return m;
}

/**
 * Cores G_a..G_b contracted right to left into a [r_a, n_a·…·n_b] matrix; the last core's right
 * rank must be 1. Column index: (n_a, …, n_b) row-major.
 */
export function contractRight(cores: readonly tf.Tensor[]): tf.Tensor2D {
  const last = cores[cores.length - 1]!;
  let m = tf.reshape(last, [last.shape[0]!, last.shape[1]! * last.shape[2]!]) as tf.Tensor2D;
  for (let k = cores.length - 2; k >= 0; k--) {
    const g = cores[k]!;
    const [r, n, r2] = g.shape as [number, number, number];
    const p = tf.matMul(tf.reshape(g, [r * n, r2]) as tf.Tensor2D, m);
    m = tf.reshape(p, [r, -1]) as tf.Tensor2D;
  }
  return m;
}

/** The mode split and ranks a TT layer is built on. */
export interface TtLayerShape {
  /** Factors of the output channels / units, outermost first. */
  readonly outModes: readonly number[];
  /** Factors of the input channels / features. */
  readonly inModes: readonly number[];
  /** d+1 TT ranks for modes [...outModes, (kh·kw,) ...inModes], r0 = rd = 1. */
  readonly ranks: readonly number[];
}

/**
 * Checks a TT layer's modes against its channel counts (`TS_FACTOR`) and its ranks against the
 * modes (`TS_RANK`); returns the mode sizes of the layout.
 */
export function validateTtLayerShape(
  s: TtLayerShape,
  kind: TensorLayout['kind'],
  kernelShape: readonly number[],
  name: string,
): number[] {
  for (const [what, modes] of [
    ['outModes', s.outModes],
    ['inModes', s.inModes],
  ] as const) {
    if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => !Number.isInteger(m) || m < 1)) {
      fail(ErrorCodes.FACTOR, `${name}: ${what} must be a non-empty list of positive integers, got ${JSON.stringify(modes)}`);
    }
  }
  const layout: TensorLayout = { kind, kernelShape, outModes: s.outModes, inModes: s.inModes };
  const [cin, cout] = kind === 'conv2d' ? [kernelShape[2]!, kernelShape[3]!] : [kernelShape[0]!, kernelShape[1]!];
  if (sizeOf(s.outModes) !== cout) {
    fail(ErrorCodes.FACTOR, `${name}: outModes [${s.outModes.join(', ')}] multiply to ${sizeOf(s.outModes)}, but the layer has ${cout} output channels`);
  }
  if (sizeOf(s.inModes) !== cin) {
    fail(ErrorCodes.FACTOR, `${name}: inModes [${s.inModes.join(', ')}] multiply to ${sizeOf(s.inModes)}, but the layer has ${cin} input channels`);
  }
  const modes = layoutModes(layout);
  validateTtRanks(modes, s.ranks, `${name}: TT ranks`);
  return modes;
}

/** Core shapes [r_k, n_k, r_{k+1}] for modes and ranks. */
export function ttCoreShapes(modes: readonly number[], ranks: readonly number[]): number[][] {
  return modes.map((n, k) => [ranks[k]!, n, ranks[k + 1]!]);
}
