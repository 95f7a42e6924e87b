/**
 * The public contract of the data-parallel gradient engine (see ./engine.ts for the design).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Where a worker finds a function: an ES module (a package name, a `file:` URL or an absolute
 * path) and one of its exports. With `args`, the export is a factory and the function is
 * `export(...args)`; without, the export is the function itself. A reference is data, so it
 * crosses into a worker; the worker imports the module itself (package names resolve from
 * @tensorslim/parallel's place; when running from the repository's sources, to their sources).
 */
export interface ModuleRef {
  /** Module specifier: a package name resolvable from @tensorslim/parallel, a `file:` URL or an absolute path. */
  readonly module: string;
  /** Name of the export. */
  readonly export: string;
  /** Arguments of the factory (structured-cloneable), when the export is one. */
  readonly args?: readonly unknown[];
}

/**
 * A training loss for the engine: a {@link ModuleRef} to a function `(yTrue, yPred) => scalar`,
 * the mean over the examples it is given. Each worker calls it on its shard; the engine weighs
 * the shard means by shard size, so the result is the mean over the whole batch. Example, the
 * ADMM trainer's crossentropy:
 * `{ module: '@tensorslim/admm', export: 'makeLoss', args: ['crossentropy', 'probabilities', 0.1] }`.
 */
export type LossRef = ModuleRef;

/** Options of {@link startGradientEngine}. */
export interface GradientEngineOptions {
  /**
   * The model to differentiate. Workers build replicas from its topology (`model.toJSON`); every
   * step they receive its current weights (all of them, trainable or not), so the caller keeps
   * training this model (optimizer, weight decay, ADMM term) on the main thread as before.
   */
  readonly model: tfl.LayersModel;
  /** The loss. */
  readonly loss: LossRef;
  /**
   * Worker threads. 1 (or less) bypasses workers entirely: the gradients are computed on the
   * calling thread with `tf.variableGrads` exactly as a single-process trainer does (bit-equal).
   */
  readonly workers: number;
  /** Modules each worker imports before building its replica (custom layers register themselves there). */
  readonly preload?: readonly string[];
  /** Backend of the workers (default 'wasm'). */
  readonly backend?: 'wasm' | 'cpu';
  /** Count correct arg-max predictions (default true; only for outputs with more than one column). */
  readonly countCorrect?: boolean;
  /** The worker entry module (default: ./worker.js beside the engine; ./worker.ts with the repository's TypeScript hooks when running from sources). */
  readonly workerUrl?: URL;
}

/** What one step of the engine returns. */
export interface GradientStep {
  /** The batch's loss: the shard losses weighted by shard size, summed in worker order. */
  readonly loss: number;
  /** Correct arg-max predictions over the batch (null when not counted). */
  readonly correct: number | null;
  /**
   * The gradient of the batch loss for each trainable variable, keyed by the variable's name (as
   * `tf.variableGrads` returns it): Σ_w (n_w / n) · g_w over workers w = 0, 1, … in that order,
   * accumulated in float64 and rounded once to float32. The caller owns (and disposes) them.
   */
  readonly grads: tf.NamedTensorMap;
  /** Examples each worker received (empty for the in-process engine). */
  readonly shards: readonly number[];
  /** Milliseconds each worker spent on its shard (weights in, forward, backward, gradients out); empty in process. */
  readonly workerMs: readonly number[];
}

/** Computes a batch's loss and gradients on the current weights of the engine's model. */
export interface GradientEngine {
  /** Workers in use (1: in process). */
  readonly workers: number;
  /**
   * Loss and gradients of the batch (`xs`, `ys`: the whole batch, examples along axis 0) on the
   * model's current weights, in training mode. Non-trainable weights the forward pass updates
   * (batch-norm moving statistics) are updated in the model: by the forward pass itself in
   * process; with workers, to the shard-size-weighted mean of the workers' updated values.
   * Await each call before the next (a step's shared buffers are in use until it resolves).
   */
  gradients(xs: tf.Tensor, ys: tf.Tensor): Promise<GradientStep>;
  /** Stops the workers (idempotent). */
  dispose(): Promise<void>;
}
