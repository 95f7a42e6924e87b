/**
 * Where the training loop's gradients come from, as an injected dependency. By default the loop
 * differentiates the loss itself, on the calling thread (`tf.variableGrads`). A caller may hand it
 * a {@link GradientStepper} instead: something that computes a batch's loss and gradients on the
 * model's current weights elsewhere, e.g. split over worker threads (the command line supplies
 * @tensorslim/parallel's data-parallel engine; this package never imports a backend). The loop keeps
 * the optimizer, weight decay and the ADMM term on the calling thread either way, so there is one
 * set of weights.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { OutputKind } from './loss.js';
import type { LossKind } from './options.js';

/**
 * The loss a stepper differentiates, as data (it may cross into worker threads): rebuild it with
 * `makeLoss(kind, output, labelSmoothing)` from this package.
 */
export interface LossSpec {
  /** crossentropy or mse. */
  readonly kind: LossKind;
  /** What the model's output holds. */
  readonly output: OutputKind;
  /** Label smoothing of the crossentropy. */
  readonly labelSmoothing: number;
}

/** One batch's loss and gradients. */
export interface GradientResult {
  /** The batch's mean loss. */
  readonly loss: number;
  /** Correct arg-max predictions over the batch (null when not counted). */
  readonly correct: number | null;
  /** The loss gradient of each trainable variable, keyed by variable name; the loop disposes them. */
  readonly grads: tf.NamedTensorMap;
}

/** Computes batches' losses and gradients for one model (one training phase). */
export interface GradientSource {
  /**
   * Loss and gradients of the batch on the model's current weights, in training mode; updates the
   * model's non-trainable state (batch-norm moving statistics) as a forward pass would.
   */
  gradients(xs: tf.Tensor, ys: tf.Tensor): Promise<GradientResult>;
  /** Releases what the source holds (threads, buffers). */
  dispose(): Promise<void>;
}

/** Starts gradient sources: what a caller injects into the training loop (its `stepper` argument). */
export interface GradientStepper {
  /** Threads a step runs on (reported in records and reports). */
  readonly threads: number;
  /** A source for `model` and `loss` (one per training phase: surgery changes the model between phases). */
  start(model: tfl.LayersModel, loss: LossSpec): Promise<GradientSource>;
}
