import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, isTensorslimError, registerPlugin } from '@tensorslim/core';
import { compareEarlyDecomposition, earlyReportMarkdown, trainDense, trainEarlyDecomposed, type BatchTransform } from '@tensorslim/admm';
import { classificationSource, lowRankPlugin, mlp } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const registry = () => {
  const c = createRegistry();
  registerPlugin(lowRankPlugin, c);
  return c;
};
const plan = { version: 1, layers: { fc1: { format: 'lowrank', outModes: [24], inModes: [12], ranks: [3] } } };

describe('early decomposition (train dense K epochs, decompose, train the factorized model)', () => {
  it('switches at epoch K: dense records before, factorized after, with fewer parameters and the same epoch numbering', async () => {
    const data = classificationSource(12, 4, 256, 128, 21);
    const model = mlp(12, [24, 16, 4], { softmax: true, seed: 5 });
    const r = await trainEarlyDecomposed(model, data, plan, { container: registry(), decomposeAtEpoch: 1, epochs: 3, lr: 0.05, batchSize: 32, seed: 3 });
    expect(r.history.map((h) => [h.phase, h.epoch])).toEqual([
      ['train', 0],
      ['factorized', 1],
      ['factorized', 2],
    ]);
    expect(r.layers.map((l) => [l.name, l.ranks.length > 0])).toEqual([['fc1', true]]);
    expect(r.model.countParams()).toBe(model.countParams() - 24 * 12 + 3 * (24 + 12));
    // trained on after the switch: the loss of the last epoch is below the first factorized epoch's
    expect(r.history[2]!.trainLoss).toBeLessThan(r.history[1]!.trainLoss);
    expect(r.evaluation.accuracy!).toBeGreaterThan(0.45); // 4 classes: chance is 0.25
    expect(r.ms).toBeGreaterThanOrEqual(r.denseMs + r.decomposeMs + r.factorizedMs - 1e-6);
  });

  it('K = epochs is dense training: the same weights as trainDense with the same seed', async () => {
    const data = classificationSource(12, 4, 128, 64, 22);
    const a = mlp(12, [24, 16, 4], { softmax: true, seed: 6 });
    const b = mlp(12, [24, 16, 4], { softmax: true, seed: 6 });
    const r = await trainEarlyDecomposed(a, data, plan, { container: registry(), decomposeAtEpoch: 2, epochs: 2, lr: 0.05, batchSize: 32, seed: 4 });
    await trainDense(b, data, { epochs: 2, lr: 0.05, batchSize: 32, seed: 4 });
    expect(r.layers).toEqual([]);
    const wa = a.getWeights().map((w) => w.dataSync());
    const wb = b.getWeights().map((w) => w.dataSync());
    for (let i = 0; i < wa.length; i++) expect(Array.from(wa[i]!)).toEqual(Array.from(wb[i]!));
  });

  it('refuses K > epochs with TS_OPTION', async () => {
    const data = classificationSource(12, 4, 64, 32, 23);
    const model = mlp(12, [24, 16, 4], { softmax: true, seed: 5 });
    const e = await trainEarlyDecomposed(model, data, plan, { container: registry(), decomposeAtEpoch: 4, epochs: 3 }).catch((x: unknown) => x);
    expect(isTensorslimError(e)).toBe(true);
    expect((e as { code: string }).code).toBe('TS_OPTION');
    expect(String(e)).toMatch(/decomposeAtEpoch 4 .* 3 training epochs/);
  });

  it('compares with dense training from the same initial weights and names kernels in the profile', async () => {
    const data = classificationSource(12, 4, 128, 64, 24);
    const r = await compareEarlyDecomposition(() => mlp(12, [24, 16, 4], { softmax: true, seed: 7 }), data, plan, {
      container: registry(),
      decomposeAtEpoch: 1,
      epochs: 2,
      lr: 0.05,
      batchSize: 32,
      seed: 5,
    });
    expect(r.dense.history).toHaveLength(2);
    expect(r.early.history).toHaveLength(2);
    // the first epoch is dense in both arms from the same weights and batches: same training loss
    expect(r.early.history[0]!.trainLoss).toBeCloseTo(r.dense.history[0]!.trainLoss, 5);
    expect(r.speedup).toBeCloseTo(r.dense.ms / r.early.ms, 10);
    expect(r.profile!.dense.kernels.map((k) => k.kernel)).toContain('BatchMatMul');
    expect(r.profile!.factorized.kernels.reduce((s, k) => s + k.calls, 0)).toBeGreaterThan(r.profile!.dense.kernels.reduce((s, k) => s + k.calls, 0));
    const md = earlyReportMarkdown(r, 'test');
    expect(md).toMatch(/\| early \(K = 1\) \|/);
    expect(md).toMatch(/\| BatchMatMul /);
  });
});

describe('batch transform hook of the training loop', () => {
  it('trains on what the transform returns: a transform that zeroes the inputs leaves the first layer kernel unchanged', async () => {
    const data = classificationSource(12, 4, 64, 32, 25);
    const model = mlp(12, [24, 16, 4], { softmax: true, seed: 8 });
    const before = Array.from(model.getLayer('fc1').getWeights()[0]!.dataSync());
    const seen: number[] = [];
    const zero: BatchTransform = (b, _m, ctx) => {
      seen.push(ctx.globalStep);
      return { xs: tf.zerosLike(b.xs), ys: b.ys };
    };
    await trainDense(model, data, { epochs: 1, lr: 0.1, batchSize: 16, seed: 1, batchTransform: zero, weightDecay: 0 });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(Array.from(model.getLayer('fc1').getWeights()[0]!.dataSync())).toEqual(before);
    // without the transform the same training moves the kernel
    await trainDense(model, data, { epochs: 1, lr: 0.1, batchSize: 16, seed: 1 });
    expect(Array.from(model.getLayer('fc1').getWeights()[0]!.dataSync())).not.toEqual(before);
  });
});
