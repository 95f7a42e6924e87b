/**
 * The data-parallel gradient engine: 2 workers against the single-process gradient of the whole
 * batch (a model without batch norm: equal up to float rounding), bit-identical reruns, the
 * 1-worker path bit-equal to plain `tf.variableGrads`, batch norm per shard (the mean of the
 * shards' in-process results), and the errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isTensorslimError, Rng } from '@tensorslim/linalg';
import { selectBackend } from '@tensorslim/backends';
import { InProcessEngine, WorkerEngine, shardSizes, startGradientEngine, type GradientEngine, type GradientStep } from '../src/index.js';

const LOSSES = new URL('./fixtures/losses.mjs', import.meta.url).href;
const CE = { module: LOSSES, export: 'crossEntropy' };

/** Seeded uniform values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
}

/** conv → (batch norm) → relu → pool → dense softmax, on 8×8×3 inputs, seeded. */
function smallNet(withBn: boolean): tfl.LayersModel {
  const layers: tfl.layers.Layer[] = [
    tfl.layers.conv2d({
      inputShape: [8, 8, 3],
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      useBias: !withBn,
      kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
    }),
  ];
  if (withBn) layers.push(tfl.layers.batchNormalization({ momentum: 0.9 }));
  layers.push(
    tfl.layers.activation({ activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }),
  );
  return tfl.sequential({ layers });
}

function batch(n: number, seed: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const xs = tf.tensor(values(n * 8 * 8 * 3, seed), [n, 8, 8, 3]);
  const ys = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => (i * 3 + seed) % 5),
      'int32',
    ),
    5,
  );
  return { xs, ys };
}

/** Rows [b, b + n) of a batch tensor. */
function rows(t: tf.Tensor, b: number, n: number): tf.Tensor {
  return tf.slice(t, [b, ...t.shape.slice(1).map(() => 0)], [n, ...t.shape.slice(1).map(() => -1)]);
}

/** The gradients as flat arrays, in the model's trainable order. */
function flat(model: tfl.LayersModel, s: GradientStep): Float32Array[] {
  return model.trainableWeights.map((w) => s.grads[(w.read() as tf.Variable).name]!.dataSync() as Float32Array);
}

function maxRel(a: Float32Array[], b: Float32Array[]): number {
  let d = 0;
  let m = 0;
  a.forEach((x, k) => x.forEach((v, i) => ((d = Math.max(d, Math.abs(v - b[k]![i]!))), (m = Math.max(m, Math.abs(v))))));
  return d / m;
}

beforeAll(async () => {
  expect((await selectBackend('wasm')).name).toBe('wasm');
});

describe('sharding', () => {
  it('contiguous shards, the first n mod W one longer', () => {
    expect(shardSizes(10, 3)).toEqual([4, 3, 3]);
    expect(shardSizes(64, 2)).toEqual([32, 32]);
    expect(shardSizes(2, 3)).toEqual([1, 1, 0]);
  });
});

describe('two workers, a model without batch norm', () => {
  let model: tfl.LayersModel;
  let engine: GradientEngine;
  let local: GradientEngine;
  beforeAll(async () => {
    model = smallNet(false);
    engine = await startGradientEngine({ model, loss: CE, workers: 2 });
    local = await startGradientEngine({ model, loss: CE, workers: 1 });
  });
  afterAll(async () => {
    await engine?.dispose();
    model.dispose();
  });

  it('starts workers for 2 and none for 1', () => {
    expect(engine).toBeInstanceOf(WorkerEngine);
    expect(engine.workers).toBe(2);
    expect(local).toBeInstanceOf(InProcessEngine);
  });

  it('the gradients equal the single-process gradient of the whole batch (float tolerance)', async () => {
    const { xs, ys } = batch(7, 3); // odd: shards of 4 and 3, weighted 4/7 and 3/7
    const par = await engine.gradients(xs, ys);
    const one = await local.gradients(xs, ys);
    expect(par.shards).toEqual([4, 3]);
    expect(Object.keys(par.grads).sort()).toEqual(Object.keys(one.grads).sort());
    expect(maxRel(flat(model, par), flat(model, one))).toBeLessThan(2e-6);
    expect(Math.abs(par.loss - one.loss)).toBeLessThan(1e-6 * Math.abs(one.loss));
    expect(par.correct).toBe(one.correct);
    // and a wrong weighting (plain mean of the two shards) is far outside that tolerance
    const s0 = await local.gradients(rows(xs, 0, 4), rows(ys, 0, 4));
    const s1 = await local.gradients(rows(xs, 4, 3), rows(ys, 4, 3));
    const plainMean = flat(model, s0).map((g, k) => g.map((v, i) => (v + flat(model, s1)[k]![i]!) / 2));
    expect(maxRel(plainMean, flat(model, one))).toBeGreaterThan(1e-3);
    tf.dispose([xs, ys, ...Object.values(par.grads), ...Object.values(one.grads), ...Object.values(s0.grads), ...Object.values(s1.grads)]);
  });

  it('steps must not overlap (their shared buffers are in use)', async () => {
    const { xs, ys } = batch(4, 9);
    const first = engine.gradients(xs, ys);
    await expect(engine.gradients(xs, ys)).rejects.toSatisfy((e: unknown) => isTensorslimError(e, 'TS_OPTION') && /still running/.test((e as Error).message));
    const done = await first;
    expect(done.shards).toEqual([2, 2]);
    expect(done.workerMs).toHaveLength(2);
    tf.dispose([xs, ys, ...Object.values(done.grads)]);
  });

  it('a training run (3 SGD-momentum steps) gives identical weights on rerun', async () => {
    const start = model.getWeights().map((w) => w.clone());
    const runOnce = async (): Promise<Float32Array[]> => {
      model.setWeights(start);
      const opt: tf.Optimizer = tf.train.momentum(0.1, 0.9);
      for (let s = 0; s < 3; s++) {
        const { xs, ys } = batch(8, 10 + s);
        const { grads } = await engine.gradients(xs, ys);
        opt.applyGradients(grads);
        tf.dispose([xs, ys, ...Object.values(grads)]);
      }
      opt.dispose();
      return model.getWeights().map((w) => w.dataSync() as Float32Array);
    };
    const a = await runOnce();
    const b = await runOnce();
    expect(a.map((w) => Array.from(w))).toEqual(b.map((w) => Array.from(w)));
    expect(
      maxRel(
        a,
        start.map((w) => w.dataSync() as Float32Array),
      ),
    ).toBeGreaterThan(1e-3); // the steps did move the weights
    tf.dispose(start);
  });
});

describe('one worker: in process, bit-equal to tf.variableGrads', () => {
  it('same loss, same gradients, same bits', async () => {
    const model = smallNet(true);
    const { xs, ys } = batch(6, 5);
    const engine = await startGradientEngine({ model, loss: { module: LOSSES, export: 'scaledMse', args: [3] }, workers: 1 });
    const start = model.getWeights().map((w) => w.clone());
    const got = await engine.gradients(xs, ys);
    const statsAfter = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.setWeights(start);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const want = tf.variableGrads(() => tf.mul(tf.mean(tf.square(tf.sub(model.apply(xs, { training: true }) as tf.Tensor, ys))), 3) as tf.Scalar, vars);
    expect(got.loss).toBe(want.value.dataSync()[0]);
    for (const v of vars) expect(Array.from(got.grads[v.name]!.dataSync())).toEqual(Array.from(want.grads[v.name]!.dataSync()));
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(statsAfter); // the moving statistics too
    tf.dispose([xs, ys, want.value, ...Object.values(want.grads), ...Object.values(got.grads), ...start]);
    model.dispose();
  });
});

describe('batch norm per shard', () => {
  it('gradients and moving statistics are the shard-size-weighted means of each shard run alone', async () => {
    const model = smallNet(true);
    const engine = await startGradientEngine({ model, loss: CE, workers: 2 });
    const local = await startGradientEngine({ model, loss: CE, workers: 1 });
    try {
      const { xs, ys } = batch(8, 7);
      const start = model.getWeights().map((w) => w.clone());
      const par = await engine.gradients(xs, ys);
      const parState = model.getWeights().map((w) => w.dataSync() as Float32Array);
      const shard = async (b: number) => {
        model.setWeights(start);
        const s = await local.gradients(rows(xs, b, 4), rows(ys, b, 4));
        return { g: flat(model, s), state: model.getWeights().map((w) => w.dataSync() as Float32Array), s };
      };
      const [a, b] = [await shard(0), await shard(4)];
      const meanG = a.g.map((g, k) => g.map((v, i) => (v + b.g[k]![i]!) / 2));
      expect(maxRel(flat(model, par), meanG)).toBeLessThan(2e-6);
      const meanState = a.state.map((w, k) => w.map((v, i) => (v + b.state[k]![i]!) / 2));
      expect(maxRel(parState, meanState)).toBeLessThan(1e-6);
      // the moving statistics did move (the check is not vacuous), and per-shard normalization
      // gives another gradient than the whole batch's
      expect(
        maxRel(
          parState,
          start.map((w) => w.dataSync() as Float32Array),
        ),
      ).toBeGreaterThan(1e-3);
      model.setWeights(start);
      const whole = await local.gradients(xs, ys);
      expect(maxRel(flat(model, whole), meanG)).toBeGreaterThan(1e-4);
      tf.dispose([xs, ys, ...start, ...Object.values(par.grads), ...Object.values(a.s.grads), ...Object.values(b.s.grads), ...Object.values(whole.grads)]);
    } finally {
      await engine.dispose();
      model.dispose();
    }
  });
});

describe('errors', () => {
  it('a loss reference that names no function: TS_OPTION in process, TS_BACKEND from workers', async () => {
    const model = smallNet(false);
    await expect(startGradientEngine({ model, loss: { module: LOSSES, export: 'nothing' }, workers: 1 })).rejects.toSatisfy(
      (e: unknown) => isTensorslimError(e, 'TS_OPTION') && /has no function export 'nothing'/.test((e as Error).message),
    );
    await expect(startGradientEngine({ model, loss: { module: LOSSES, export: 'nothing' }, workers: 2 })).rejects.toSatisfy(
      (e: unknown) =>
        isTensorslimError(e, 'TS_BACKEND') && /workers did not start: worker \d: module .* has no function export 'nothing'/.test((e as Error).message),
    );
    await expect(startGradientEngine({ model, loss: CE, workers: 1.5 })).rejects.toSatisfy((e: unknown) => isTensorslimError(e, 'TS_OPTION'));
    model.dispose();
  });
});
