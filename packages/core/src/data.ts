/**
 * The data contract between datasets (@tensorslim/models, or a user's own) and training
 * (@tensorslim/admm): seeded, deterministic streams of batches.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';

/** One batch: inputs and one-hot float32 targets [B, numClasses]. The consumer disposes both. */
export interface Batch {
  /** Inputs, e.g. [B, 28, 28, 1]. */
  readonly xs: tf.Tensor;
  /** One-hot targets [B, numClasses]. */
  readonly ys: tf.Tensor;
}

/** Where an epoch's batches start: the epoch number and seed fix the order. */
export interface EpochOptions {
  /** Epoch index (0-based); with the seed it determines the shuffle. */
  readonly epoch: number;
  /** Run seed. */
  readonly seed: number;
  /** Skip this many batches (resuming mid-epoch). */
  readonly startStep?: number;
}

/** A classification dataset with a training and a validation split. */
export interface DataSource {
  /** Name, e.g. "mnist". */
  readonly name: string;
  /** One example's shape, e.g. [28, 28, 1]. */
  readonly inputShape: readonly number[];
  /** Number of classes. */
  readonly numClasses: number;
  /** Training examples. */
  readonly trainSize: number;
  /** Validation examples. */
  readonly valSize: number;
  /** The training batches of one epoch, shuffled deterministically by (seed, epoch). */
  trainBatches(batchSize: number, opts: EpochOptions): Iterable<Batch>;
  /** The validation batches, in a fixed order. */
  valBatches(batchSize: number): Iterable<Batch>;
}
