/**
 * The training losses and metrics: categorical crossentropy (with optional label smoothing, on
 * probabilities or logits) and mean squared error.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LossKind } from './options.js';

/** What the model's output holds: class probabilities (a softmax last layer) or logits. */
export type OutputKind = 'probabilities' | 'logits';

/** A loss: mean over the batch, a scalar. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** 'probabilities' when the model's last layer ends in a softmax, otherwise 'logits'. */
export function detectOutputKind(model: tfl.LayersModel): OutputKind {
  const last = model.layers[model.layers.length - 1];
  if (!last) return 'logits';
  const cls = last.getClassName();
  const cfg = last.getConfig() as Record<string, unknown>;
  if (cls === 'Softmax' || cfg.activation === 'softmax') return 'probabilities';
  return 'logits';
}

/** The loss function of a kind. Crossentropy smooths the targets by `labelSmoothing`. */
export function makeLoss(kind: LossKind, output: OutputKind, labelSmoothing = 0): LossFn {
  if (kind === 'mse') return (y, p) => tf.mean(tf.square(tf.sub(p, y))) as tf.Scalar;
  return (y, p) => {
    const k = y.shape[y.shape.length - 1]!;
    const t = labelSmoothing > 0 ? tf.add(tf.mul(y, 1 - labelSmoothing), labelSmoothing / k) : y;
    const logp = output === 'logits' ? tf.logSoftmax(p) : tf.log(tf.clipByValue(p, 1e-7, 1 - 1e-7));
    return tf.neg(tf.mean(tf.sum(tf.mul(t, logp), -1))) as tf.Scalar;
  };
}

/** Number of rows whose arg-max prediction matches the arg-max target (a scalar tensor). */
export function correctCount(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.sum(tf.cast(tf.equal(tf.argMax(yPred, -1), tf.argMax(yTrue, -1)), 'float32')) as tf.Scalar;
}
