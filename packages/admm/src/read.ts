/**
 * Reading tensors back without blocking. The webgpu backend cannot read synchronously in Node
 * (`dataSync` needs an OffscreenCanvas there), and on any GPU a synchronous read stalls the
 * queue: the pipeline reads with `await t.data()`, and gathers many scalars into one read.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The values of scalar tensors, in order, by one non-blocking read (exact: the float32 values as they are). */
export async function readScalars(scalars: readonly tf.Tensor[]): Promise<Float32Array> {
  if (scalars.length === 0) return new Float32Array(0);
  const all = tf.tidy(() => tf.stack(scalars.map((s) => tf.cast(tf.reshape(s, []), 'float32'))));
  try {
    return (await all.data()) as Float32Array;
  } finally {
    all.dispose();
  }
}

/** A copy of a tensor's values as float64 (read without blocking). */
export async function readFloat64(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from((await t.data()) as Float32Array);
}
