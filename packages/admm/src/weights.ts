/**
 * Reading and writing all of a model's weights as typed arrays (trainable and not, in
 * `model.weights` order), for checkpoints and snapshots.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/core';

/** Copies of every weight of `model` (float32 or int32 arrays), in `model.weights` order (read without blocking). */
export async function readModelWeights(model: tfl.LayersModel): Promise<(Float32Array | Int32Array)[]> {
  return Promise.all(
    model.weights.map(async (w) => {
      const d = await w.read().data();
      return d instanceof Int32Array ? d.slice() : Float32Array.from(d as ArrayLike<number>);
    }),
  );
}

/** Sets every weight of `model` from arrays in `model.weights` order (sizes are checked). */
export function writeModelWeights(model: tfl.LayersModel, values: readonly ArrayLike<number>[], what = 'the saved weights'): void {
  const ws = model.weights;
  if (values.length !== ws.length) {
    fail(ErrorCodes.CHECKPOINT, `${what} hold ${values.length} tensors, the model has ${ws.length} weights`, 'resume with the model the run started with');
  }
  const tensors = ws.map((w, i) => {
    const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
    if (values[i]!.length !== n) {
      fail(
        ErrorCodes.CHECKPOINT,
        `${what}: weight ${w.name} has ${n} values in the model, ${values[i]!.length} saved`,
        'resume with the model the run started with',
      );
    }
    return tf.tensor(values[i] as Float32Array, w.shape as number[], w.dtype);
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** A signature of the model's structure: layer names and classes, weight shapes. */
export function modelSignature(model: tfl.LayersModel): string[] {
  return model.layers.map((l) => `${l.name}:${l.getClassName()}:${l.weights.map((w) => `[${w.shape.join(',')}]`).join('')}`);
}
