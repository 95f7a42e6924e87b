/**
 * Activation functions by their Keras names, for the factorized layers (tfjs-layers keeps its
 * own lookup private).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, fail } from '@tensorslim/linalg';

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(1, tf.abs(x))),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  softmax: (x) => tf.softmax(x),
};

/** The activation names the factorized layers accept. */
export const activationNames: readonly string[] = Object.keys(ACTIVATIONS);

/** Applies the named activation (`null`/`undefined` means linear). */
export function applyActivation(name: string | null | undefined, x: tf.Tensor): tf.Tensor {
  const f = ACTIVATIONS[name ?? 'linear'];
  if (!f) fail(ErrorCodes.OPTION, `unknown activation "${name}"`, `use one of ${activationNames.join(', ')}`);
  return f(x);
}
