/**
 * Evaluation of a model on the validation split of a data source: mean loss and accuracy.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import type { Batch, DataSource } from '@tensorslim/core';
import { parseOptions } from '@tensorslim/core';
import type { Evaluation } from '@tensorslim/report';
import { correctCount, detectOutputKind, makeLoss } from './loss.js';
import { definedOnly, evalBatchSizeSchema, lossSchema, type LossKind } from './options.js';
import { readScalars } from './read.js';

export type { Evaluation } from '@tensorslim/report';

/** Options of {@link evaluate}: batch size, loss, and optionally the batches to evaluate on. */
export const evaluateOptionsSchema = z.strictObject({
  batchSize: evalBatchSizeSchema,
  loss: lossSchema,
  batches: z
    .custom<Iterable<Batch>>((v) => typeof (v as Iterable<Batch> | null)?.[Symbol.iterator] === 'function', 'an iterable of batches')
    .optional()
    .describe('evaluate on these batches instead of the validation split (e.g. a test split)'),
});

/** Options of {@link evaluate} (see {@link evaluateOptionsSchema}). */
export interface EvaluateOptions {
  /** Batch size (default 256). */
  readonly batchSize?: number;
  /** Loss (default 'crossentropy'). */
  readonly loss?: LossKind;
  /** Evaluate on these batches instead of the validation split (e.g. a test split). */
  readonly batches?: Iterable<Batch>;
}

/**
 * Mean loss and accuracy of `model` on `data`'s validation split (inference mode). Returns
 * `loss: NaN` and `examples: 0` when the split is empty. The batches' losses and counts stay on
 * the backend until the end and are read once, without blocking (a GPU backend keeps running).
 */
export async function evaluate(model: tfl.LayersModel, data: DataSource, options: EvaluateOptions = {}): Promise<Evaluation> {
  const opts = parseOptions(evaluateOptionsSchema, definedOnly(options));
  const kind = opts.loss;
  const lossFn = makeLoss(kind, detectOutputKind(model), 0);
  const scalars: tf.Scalar[] = []; // loss, correct of each batch
  const sizes: number[] = [];
  try {
    for (const b of opts.batches ?? data.valBatches(opts.batchSize)) {
      sizes.push(b.xs.shape[0]!);
      scalars.push(
        ...tf.tidy(() => {
          const p = model.apply(b.xs, { training: false }) as tf.Tensor;
          return [lossFn(b.ys, p), kind === 'crossentropy' ? correctCount(b.ys, p) : tf.scalar(0)];
        }),
      );
      tf.dispose([b.xs, b.ys]);
    }
    const values = await readScalars(scalars);
    let lossSum = 0;
    let correct = 0;
    let n = 0;
    sizes.forEach((bs, i) => {
      lossSum += values[2 * i]! * bs;
      correct += values[2 * i + 1]!;
      n += bs;
    });
    return { loss: n > 0 ? lossSum / n : NaN, accuracy: kind === 'crossentropy' && n > 0 ? correct / n : null, examples: n };
  } finally {
    tf.dispose(scalars);
  }
}
