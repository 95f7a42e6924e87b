import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, isTensorslimError, registerPlugin } from '@tensorslim/core';
import { trainDense } from '@tensorslim/admm';
import { ttPlugin } from '@tensorslim/decomp-tt';
import { syntheticDataset } from '@tensorslim/models';
import { compareEarlyDecomposition, earlyReportMarkdown, trainEarlyDecomposed } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const registry = () => {
  const c = createRegistry();
  registerPlugin(ttPlugin, c);
  return c;
};
// fc1's kernel [12, 24] as a two-core tensor train [24, 12] of rank 3, i.e. a rank-3 matrix: 3 · (24 + 12) weights instead of 288
const plan = { version: 1, layers: { fc1: { format: 'tt', outModes: [24], inModes: [12], ranks: [1, 3, 1] } } };

/** 12 features, 4 classes: Gaussian blobs around seeded random centers. */
const classification = (trainSize: number, testSize: number, seed: number) =>
  syntheticDataset({ kind: 'blobs', inputShape: [12], numClasses: 4, trainSize, testSize, seed });

/** Dense 12 → 24 → 16 → 4 (softmax), layers fc1..fc3, seeded initial weights. */
function mlp(seed: number): tfl.LayersModel {
  const m = tfl.sequential();
  [24, 16, 4].forEach((units, i) =>
    m.add(
      tfl.layers.dense({
        units,
        name: `fc${i + 1}`,
        activation: i === 2 ? 'softmax' : 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + i }),
        ...(i === 0 ? { inputShape: [12] } : {}),
      }),
    ),
  );
  return m;
}

describe('early decomposition (train dense K epochs, decompose, train the factorized model)', () => {
  it('switches at epoch K: dense records before, factorized after, with fewer parameters and the same epoch numbering', async () => {
    const data = classification(256, 128, 21);
    const model = mlp(5);
    const r = await trainEarlyDecomposed(model, data, plan, { container: registry(), decomposeAtEpoch: 1, epochs: 3, lr: 0.05, batchSize: 32, seed: 3 });
    expect(r.history.map((h) => [h.phase, h.epoch])).toEqual([
      ['train', 0],
      ['factorized', 1],
      ['factorized', 2],
    ]);
    expect(r.layers.map((l) => [l.name, l.format, [...l.ranks]])).toEqual([['fc1', 'tt', [1, 3, 1]]]);
    expect(r.model.countParams()).toBe(model.countParams() - 24 * 12 + 3 * (24 + 12));
    // trained on after the switch: the loss of the last epoch is below the first factorized epoch's
    expect(r.history[2]!.trainLoss).toBeLessThan(r.history[1]!.trainLoss);
    // separable blobs, 4 classes (chance 0.25): the factorized model recovers what the decomposition lost
    expect(r.evaluation.accuracy!).toBeGreaterThan(0.9);
    expect(r.evaluation.accuracy!).toBeGreaterThanOrEqual(r.afterDecompose!.accuracy!);
    expect(r.ms).toBeGreaterThanOrEqual(r.denseMs + r.decomposeMs + r.factorizedMs - 1e-6);
  });

  it('K = epochs is dense training: the same weights as trainDense with the same seed', async () => {
    const data = classification(128, 64, 22);
    const a = mlp(6);
    const b = mlp(6);
    const r = await trainEarlyDecomposed(a, data, plan, { container: registry(), decomposeAtEpoch: 2, epochs: 2, lr: 0.05, batchSize: 32, seed: 4 });
    await trainDense(b, data, { epochs: 2, lr: 0.05, batchSize: 32, seed: 4 });
    expect(r.layers).toEqual([]);
    const wa = a.getWeights().map((w) => w.dataSync());
    const wb = b.getWeights().map((w) => w.dataSync());
    for (let i = 0; i < wa.length; i++) expect(Array.from(wa[i]!)).toEqual(Array.from(wb[i]!));
  });

  it('refuses K > epochs with TS_OPTION', async () => {
    const data = classification(64, 32, 23);
    const model = mlp(5);
    const e = await trainEarlyDecomposed(model, data, plan, { container: registry(), decomposeAtEpoch: 4, epochs: 3 }).catch((x: unknown) => x);
    expect(isTensorslimError(e)).toBe(true);
    expect((e as { code: string }).code).toBe('TS_OPTION');
    expect(String(e)).toMatch(/decomposeAtEpoch 4 .* 3 training epochs/);
  });

  it('compares with dense training from the same initial weights and names kernels in the profile', async () => {
    const data = classification(128, 64, 24);
    const r = await compareEarlyDecomposition(() => mlp(7), data, plan, {
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
