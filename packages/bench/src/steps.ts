/**
 * Timing training steps for the training benchmark: in process (`model.trainOnBatch`, one core), and
 * data-parallel on worker threads (@tensorslim/parallel's gradient engine: each worker
 * differentiates its shard, the main thread sums the gradients in worker order and applies SGD
 * momentum to its model).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { detectOutputKind } from '@tensorslim/admm';
import { startGradientEngine, type GradientEngine, type GradientEngineOptions } from '@tensorslim/parallel';

/** Random inputs and one-hot labels for a model (integer ids for int32 inputs). */
export function syntheticBatch(model: tfl.LayersModel, batch: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const inShape = model.inputs[0]!.shape.slice(1) as number[];
    const outShape = model.outputs[0]!.shape;
    const classes = outShape[outShape.length - 1]!;
    const x =
      model.inputs[0]!.dtype === 'int32'
        ? tf.randomUniform([batch, ...inShape], 0, 8, 'int32', seed)
        : tf.randomNormal([batch, ...inShape], 0, 1, 'float32', seed);
    const labels = tf.randomUniform([batch], 0, classes, 'int32', seed + 1);
    return { x, y: tf.oneHot(labels, classes) };
  });
}

/** Wall and process-CPU times (ms) of timed steps. */
export interface StepTimes {
  /** Wall time per step. */
  wall: number[];
  /** Process CPU time per step, all threads of the process (empty outside Node.js). */
  cpu: number[];
}

/** Runs `warmup` untimed steps, then times `steps` of them. */
export async function timeSteps(step: () => Promise<unknown>, steps: number, warmup: number): Promise<StepTimes> {
  for (let i = 0; i < warmup; i++) await step();
  const proc = (globalThis as { process?: { cpuUsage?: (prev?: unknown) => { user: number; system: number } } }).process;
  const times: StepTimes = { wall: [], cpu: [] };
  for (let i = 0; i < steps; i++) {
    const c0 = proc?.cpuUsage?.();
    const t0 = performance.now();
    await step(); // ends with the loss read back: the step has finished
    times.wall.push(performance.now() - t0);
    if (c0) {
      const d = proc!.cpuUsage!(c0);
      times.cpu.push((d.user + d.system) / 1000);
    }
  }
  return times;
}

/** Times `steps` training steps of `model` at `batch` on the active backend (`trainOnBatch`, SGD momentum). */
export async function timeTrainingSteps(model: tfl.LayersModel, batch: number, steps: number, warmup: number): Promise<StepTimes> {
  const last = model.layers[model.layers.length - 1]!.getConfig()['activation'];
  const loss = last === 'softmax' ? 'categoricalCrossentropy' : (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred);
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss });
  const { x, y } = syntheticBatch(model, batch, 7);
  try {
    return await timeSteps(() => model.trainOnBatch(x, y), steps, warmup);
  } finally {
    tf.dispose([x, y]);
  }
}

/** Starts a gradient engine (default: @tensorslim/parallel's `startGradientEngine`). */
export type EngineStarter = (opts: GradientEngineOptions) => Promise<GradientEngine>;

/**
 * Times `steps` data-parallel training steps on `workers` worker threads (wasm backend in each):
 * gradients from the engine, SGD momentum (lr 0.01, 0.9) on the main thread's model, the
 * @tensorslim/admm crossentropy.
 */
export async function timeParallelSteps(
  model: tfl.LayersModel,
  batch: number,
  steps: number,
  warmup: number,
  workers: number,
  start: EngineStarter = startGradientEngine,
): Promise<StepTimes> {
  const engine = await start({ model, workers, loss: { module: '@tensorslim/admm', export: 'makeLoss', args: ['crossentropy', detectOutputKind(model), 0] } });
  const optimizer: tf.Optimizer = tf.train.momentum(0.01, 0.9);
  const { x, y } = syntheticBatch(model, batch, 7);
  try {
    return await timeSteps(
      async () => {
        const { grads } = await engine.gradients(x, y);
        optimizer.applyGradients(grads);
        tf.dispose(Object.values(grads));
      },
      steps,
      warmup,
    );
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    await engine.dispose();
  }
}
