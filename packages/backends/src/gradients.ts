/**
 * Leaner gradients for the two ops that dominate batch-norm training (the same values, fewer
 * passes over the activations). Gradients are registered per op, not per backend, so these
 * apply on every backend; they matter most where each pass costs (wasm, cpu).
 *
 * - FusedBatchNorm with per-channel statistics (what tfjs-layers' BatchNormalization runs):
 *   TF.js's gradient makes 13 full-size passes (it tiles 1/σ to the input's shape, and
 *   recomputes x − μ and dy·γ for each of the five inputs); this one makes 5: Σdy,
 *   Σdy·(x − μ) (sub, mul, sum) and dx = dy·(γ/σ).
 * - Mean: TF.js's gradient fills a tensor of ones of the input's shape, multiplies and divides
 *   (3 passes); this one tiles dy/n (one block copy pass).
 *
 * Other shapes (statistics that are not per-channel vectors) use TF.js's own gradient.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';
// TF.js's own gradients, which these replace, are registered by tfjs-layers in Node (tfjs-core's
// Node bundle has none); training uses tfjs-layers anyway.
import '@tensorflow/tfjs-layers';

/** FusedBatchNorm's gradient for per-channel mean/variance/scale over a 4-D NHWC input. */
function leanBatchNormGrad(original: GradConfig): GradConfig {
  return {
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const g = dy as Tensor;
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
      const c = x.shape[x.rank - 1]!;
      const perChannel = (t: Tensor | undefined) => t === undefined || t === null || (t.rank === 1 && t.shape[0] === c);
      if (x.rank !== 4 || !perChannel(mean) || !perChannel(variance) || !perChannel(scale)) {
        return original.gradFunc(dy, saved, attrs);
      }
      const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
      const axes = [0, 1, 2];
      // [C]-sized pieces, computed once here (they live until the end of the backward pass);
      // each closure below is run in its own tidy by the engine.
      const r = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
      const gamma = scale ?? tf.onesLike(variance);
      const gr = tf.mul(gamma, r);
      const sdy = tf.sum(g, axes);
      const sdyxc = tf.tidy(() => tf.sum(tf.mul(g, tf.sub(x, mean)), axes));
      return {
        x: () => tf.mul(g, gr),
        mean: () => tf.neg(tf.mul(gr, sdy)),
        variance: () => tf.mul(tf.mul(tf.mul(gr, tf.square(r)), tf.scalar(-0.5)), sdyxc),
        scale: () => tf.mul(r, sdyxc),
        offset: () => tf.reshape(sdy, [c]),
      };
    },
  };
}

/** Mean's gradient as a tiled dy / n. */
function leanMeanGrad(): GradConfig {
  return {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x] = saved as [Tensor];
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      let n = 1;
      for (const a of axes) n *= x.shape[a]!;
      return {
        x: () => {
          const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
          return tf.tile(tf.reshape(tf.div(dy as Tensor, tf.scalar(n)), kept), reps);
        },
      };
    },
  };
}

const originals = new Map<string, GradConfig>();

/** True when {@link registerLeanGradients} is in effect. */
export function leanGradientsRegistered(): boolean {
  return originals.size > 0;
}

/** Registers the lean FusedBatchNorm and Mean gradients (idempotent); {@link unregisterLeanGradients} restores TF.js's. */
export function registerLeanGradients(): string[] {
  if (originals.size === 0) {
    const bn = tf.getGradient('FusedBatchNorm');
    const mean = tf.getGradient('Mean');
    if (!bn || !mean) throw new Error('tensorslim: TF.js has no FusedBatchNorm/Mean gradient to replace');
    originals.set('FusedBatchNorm', bn);
    originals.set('Mean', mean);
    tf.registerGradient(leanBatchNormGrad(bn));
    tf.registerGradient(leanMeanGrad());
  }
  return [...originals.keys()];
}

/** Restores TF.js's own gradients. */
export function unregisterLeanGradients(): void {
  for (const g of originals.values()) tf.registerGradient(g);
  originals.clear();
}
