/**
 * The messages between the engine (main thread) and its workers. Bulk data never travels in a
 * message: weights, batches, gradients and state live in SharedArrayBuffers whose layout
 * ./layout.ts defines; a message only says what to do and where.
 *
 * @module
 */
import type { BatchDtype, WorkLayout } from './layout.js';
import type { LossRef } from './types.js';

/** main → worker, once: build the replica. */
export interface InitMessage {
  readonly type: 'init';
  /** Worker index (0-based), for messages. */
  readonly index: number;
  /** Backend to start. */
  readonly backend: 'wasm' | 'cpu';
  /** `model.toJSON(null, false)`. */
  readonly topology: unknown;
  /** Every weight of the model, packed in `model.weights` order (float32), shared by all workers. */
  readonly weights: SharedArrayBuffer;
  /** Shapes of `model.weights`, in order (the worker checks its replica against them). */
  readonly weightShapes: readonly (readonly number[])[];
  /** Indices into the weights of the trainable ones (gradients, in this order). */
  readonly trainable: readonly number[];
  /** Indices of the non-trainable ones (state returned after the forward pass, in this order). */
  readonly nonTrainable: readonly number[];
  /** Runnable URLs or package names to import first. */
  readonly preload: readonly string[];
  /** The loss, its module already made runnable. */
  readonly loss: LossRef;
  /** Count correct arg-max predictions. */
  readonly countCorrect: boolean;
}

/** main → worker, each step: compute the shard's loss and gradients. */
export interface StepMessage {
  readonly type: 'step';
  /** The worker's buffer (sent again only when it was reallocated larger). */
  readonly work?: SharedArrayBuffer;
  /** Where the regions of the work buffer are. */
  readonly layout: WorkLayout;
  /** Examples in the shard. */
  readonly rows: number;
  /** One example's input shape and data type. */
  readonly xShape: readonly number[];
  readonly xDtype: BatchDtype;
  /** One example's target shape and data type. */
  readonly yShape: readonly number[];
  readonly yDtype: BatchDtype;
}

/** main → worker: exit. */
export interface StopMessage {
  readonly type: 'stop';
}

/** worker → main. */
export type WorkerReply =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'done'; readonly loss: number; readonly correct: number | null; readonly ms: number }
  | { readonly type: 'error'; readonly message: string };

/** Any message to a worker. */
export type WorkerMessage = InitMessage | StepMessage | StopMessage;
