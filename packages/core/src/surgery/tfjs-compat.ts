/**
 * A compatibility patch for TF.js in Node without the `@tensorflow/tfjs` union package: the
 * chained tensor methods (`t.flatten()`, ...) are registered only by that package, yet
 * tfjs-layers' Orthogonal initializer (the default recurrent initializer of LSTM, GRU and
 * SimpleRNN) calls a few of them, so building or loading a recurrent model fails with
 * "rMat.flatten is not a function". {@link ensureChainedOps} adds exactly those methods when they
 * are missing; it runs when surgery or IO is imported.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

type Method = (this: tf.Tensor, ...args: never[]) => tf.Tensor;

const METHODS: Record<string, Method> = {
  flatten(this: tf.Tensor) {
    return tf.reshape(this, [this.size]);
  },
  reshape(this: tf.Tensor, shape: number[]) {
    return tf.reshape(this, shape);
  },
  transpose(this: tf.Tensor, perm?: number[]) {
    return tf.transpose(this, perm);
  },
  sign(this: tf.Tensor) {
    return tf.sign(this);
  },
  stridedSlice(this: tf.Tensor, begin: number[], end: number[], strides?: number[]) {
    return tf.stridedSlice(this, begin, end, strides);
  },
} as unknown as Record<string, Method>;

/** Adds the chained tensor methods tfjs-layers' initializers use, where TF.js lacks them. */
export function ensureChainedOps(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(METHODS)) if (typeof proto[name] !== 'function') proto[name] = fn;
}

ensureChainedOps();
