/**
 * Where a training step's time goes: one forward pass and its gradients (no update) of a model on
 * a batch, profiled kernel by kernel with `tf.profile`, summed per kernel name. Early
 * decomposition uses it to name the slow stage when a factorized model trains no faster than the
 * dense one.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@tensorslim/core';
import { detectOutputKind, makeLoss, trainableVariables, type LossKind } from '@tensorslim/admm';

/** Time of one kernel name in a profiled step. */
export interface KernelTime {
  /** TF.js kernel name, e.g. "Conv2DBackpropFilter". */
  readonly kernel: string;
  /** Calls in the step. */
  readonly calls: number;
  /** Summed kernel time, ms (the backend's timer; wall time on cpu/wasm). */
  readonly ms: number;
}

/** A profiled training step. */
export interface StepProfile {
  /** Wall time of the profiled step, ms. */
  readonly wallMs: number;
  /** Summed kernel times, ms. */
  readonly kernelMs: number;
  /** Kernel names by summed time, largest first. */
  readonly kernels: readonly KernelTime[];
}

/**
 * Profiles `repeats` training steps (forward in training mode, loss, gradients; no update, so the
 * weights stay as they are) of `model` on `batch` after one warm-up step, and returns the
 * per-kernel times of the last (op scopes named `*__op` are left out: their kernel is counted). The caller keeps ownership of `batch`.
 */
export async function profileTrainingStep(model: tfl.LayersModel, batch: Batch, loss: LossKind = 'crossentropy'): Promise<StepProfile> {
  const lossFn = makeLoss(loss, detectOutputKind(model), 0);
  const vars = trainableVariables(model);
  const step = async () => {
    const { value, grads } = tf.variableGrads(() => lossFn(batch.ys, model.apply(batch.xs, { training: true }) as tf.Tensor), vars);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await step(); // warm-up: kernel compilation, weight upload
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - t0;
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    if (k.name.endsWith('__op')) continue; // an op's scope around its kernel: counted once, as the kernel
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
    byName.set(k.name, { calls: e.calls + 1, ms: e.ms + ms });
  }
  const kernels = [...byName].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
  return { wallMs, kernelMs: kernels.reduce((s, k) => s + k.ms, 0), kernels };
}
