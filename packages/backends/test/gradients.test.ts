/**
 * The lean FusedBatchNorm and Mean gradients give TF.js's own gradients (checked on the cpu
 * backend, swapping the registrations), for tfjs-layers' training-mode batch norm and for means
 * over various axes; shapes outside the lean path fall back to TF.js's gradient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { leanGradientsRegistered, registerLeanGradients, unregisterLeanGradients } from '../src/index.js';

function values(n: number, s: number): Float32Array {
  const out = new Float32Array(n);
  let v = s * 104729;
  for (let i = 0; i < n; i++) {
    v = (v * 1103515245 + 12345) % 2147483648;
    out[i] = v / 1073741824 - 1;
  }
  return out;
}

/** Gradients of `f` w.r.t. `xs` under TF.js's gradients and under the lean ones. */
function bothWays(f: (...xs: tf.Tensor[]) => tf.Scalar, xs: tf.Tensor[]): { theirs: Float32Array[]; ours: Float32Array[] } {
  const run = () =>
    tf.tidy(() =>
      tf
        .grads(f)(xs)
        .map((g) => g.dataSync() as Float32Array),
    );
  unregisterLeanGradients();
  const theirs = run();
  registerLeanGradients();
  const ours = run();
  expect(theirs).toHaveLength(xs.length); // one gradient per input, so expectClose compares something
  return { theirs, ours };
}

function expectClose(a: Float32Array[], b: Float32Array[], tol: number): void {
  expect(b.length).toBe(a.length);
  a.forEach((x, i) => {
    let d = 0;
    let n = 0;
    x.forEach((v, j) => {
      d = Math.max(d, Math.abs(v - b[i]![j]!));
      n = Math.max(n, Math.abs(v));
    });
    expect(n).toBeGreaterThan(0);
    expect(d / n).toBeLessThan(tol);
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerLeanGradients();
});
afterAll(() => unregisterLeanGradients());

describe('lean gradients', () => {
  it('are registered and can be restored', () => {
    expect(leanGradientsRegistered()).toBe(true);
    const mine = tf.getGradient('FusedBatchNorm');
    unregisterLeanGradients();
    expect(leanGradientsRegistered()).toBe(false);
    expect(tf.getGradient('FusedBatchNorm')).not.toBe(mine);
    expect(registerLeanGradients()).toEqual(['FusedBatchNorm', 'Mean']);
  });

  it('batch norm in training mode (tfjs-layers): d/dx, d/dγ, d/dβ as TF.js', () => {
    const layer = tfl.layers.batchNormalization({ gammaInitializer: 'ones' });
    const x0 = tf.tensor4d(values(3 * 4 * 5 * 6, 1), [3, 4, 5, 6]);
    const w = tf.tensor4d(values(3 * 4 * 5 * 6, 2), [3, 4, 5, 6]);
    layer.apply(x0, { training: true }); // build
    const gamma = tf.add(tf.tensor1d(values(6, 3)), 1.2);
    const beta = tf.tensor1d(values(6, 4));
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      layer.setWeights([g, b, ...layer.getWeights().slice(2)]);
      // mean and variance come from the batch (moments), so their gradients flow back into x
      const m = tf.moments(x, [0, 1, 2]);
      const y = tf.batchNorm(x, m.mean, m.variance, b, g, 1e-3);
      return tf.sum(tf.mul(tf.square(y), w)) as tf.Scalar;
    };
    const { theirs, ours } = bothWays(f, [tf.mul(x0, 3), gamma, beta]);
    expectClose(theirs, ours, 1e-4);
  });

  it('batch norm with a large mean keeps its accuracy (x − μ is formed before the product)', () => {
    const x = tf.add(tf.mul(tf.tensor4d(values(2 * 3 * 3 * 4, 5), [2, 3, 3, 4]), 0.1), 100);
    const w = tf.tensor4d(values(2 * 3 * 3 * 4, 6), [2, 3, 3, 4]);
    const f = (xx: tf.Tensor) => {
      const m = tf.moments(xx, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(xx, m.mean, m.variance, tf.zeros([4]), tf.ones([4]), 1e-5), w)) as tf.Scalar;
    };
    const { theirs, ours } = bothWays(f, [x]);
    expectClose(theirs, ours, 2e-3);
  });

  it('batch norm with full-shape statistics uses TF.js gradient', () => {
    const x = tf.tensor3d(values(24, 7), [2, 3, 4]);
    const mean = tf.tensor3d(values(24, 8), [2, 3, 4]);
    const variance = tf.add(tf.abs(tf.tensor3d(values(24, 9), [2, 3, 4])), 0.5);
    const f = (xx: tf.Tensor, mm: tf.Tensor) => tf.sum(tf.square(tf.batchNorm(xx, mm, variance, tf.zeros([2, 3, 4]), tf.ones([2, 3, 4])))) as tf.Scalar;
    const { theirs, ours } = bothWays(f, [x, mean]);
    expectClose(theirs, ours, 1e-6);
  });

  it.each([[[0, 1, 2]], [[1, 2]], [[0]], [[2]], [[0, 2]]])('mean over %j', (axes) => {
    const x = tf.tensor3d(values(60, 10), [3, 4, 5]);
    const w = tf.tensor(values(60, 11), [3, 4, 5]);
    const f = (xx: tf.Tensor) => tf.sum(tf.square(tf.mean(tf.mul(xx, w), axes, true))) as tf.Scalar;
    const { theirs, ours } = bothWays(f, [x]);
    expectClose(theirs, ours, 1e-6);
  });
});
