import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '@tensorslim/core';
import { registerTucker } from '@tensorslim/decomp-tucker';
import { loadModel } from '@tensorslim/io';
import { buildModel, loadDataset } from '@tensorslim/models';
import { runCollaborative, runReweighted } from '../src/index.js';

const out = mkdtempSync(join(tmpdir(), 'prune-pipeline-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** LeNet-5 on synthetic 12×12 images (10 classes, 64 training and 32 validation examples). */
async function smallLeNet() {
  const data = await loadDataset('synthetic', { seed: 2, synthetic: { inputShape: [12, 12, 1], numClasses: 10, trainSize: 64, testSize: 32 } });
  return { data, model: buildModel('lenet5', { seed: 2, inputShape: [12, 12, 1] }) };
}

/** One epoch of each phase, small batches. */
const training = { trainEpochs: 1, lr: 0.01, finetuneEpochs: 1, finetuneLr: 0.01, batchSize: 32, seed: 2, updateEvery: 2 } as const;

describe('runReweighted (small synthetic run)', () => {
  it('reaches the filter sparsity, and the pruned models are physically smaller', async () => {
    const { data, model } = await smallLeNet();
    const r = await runReweighted(model, data, {
      layers: ['conv2', 'fc1', 'fc2', 'fc3'],
      sparsity: 0.9,
      granularity: 'filter',
      ...training,
      registry: createRegistry(),
    });
    expect(r.layers.pruned).toEqual(['conv2', 'fc1', 'fc2']);
    expect(r.layers.skipped).toEqual([{ layer: 'fc3', reason: 'is a model output' }]);
    expect(r.arms.map((a) => a.arm)).toEqual(['reweighted', 'magnitude']);
    for (const a of r.arms) {
      // 12×12 input: fc1 reads 1·1·16 rows. conv2 16 → 2, fc1 120 → 12, fc2 84 → 8 filters
      expect(a.sparsity).toBeCloseTo((14 * 150 + 108 * 16 + 76 * 120) / (2400 + 1920 + 10080), 9);
      expect(a.removed).toEqual({ conv2: 14, fc1: 108, fc2: 76 });
      // conv1 156 + conv2 5·5·6·2+2 + fc1 2·12+12 + fc2 12·8+8 + fc3 8·10+10
      expect(a.params).toBe(156 + 302 + 36 + 104 + 90);
      expect(a.bytes).toBeLessThan(r.dense.bytes / 5);
      expect(a.flops).toBeLessThan(r.dense.flops);
    }
  });
});

// runCollaborative end to end on a small LeNet-5 (synthetic 12×12 images): the plan optimizer's
// allocation is what the arms build — the filters it prunes are the filters surgery removes, the
// layers it gives ranks become Tucker-2 layers, and the multiply-adds of each final model are the
// optimizer's estimate, within the budget.
describe('runCollaborative (small synthetic run)', () => {
  it('builds the allocation it reports: the filters removed, the Tucker-2 layers, the multiply-adds within the budget', async () => {
    const { data, model } = await smallLeNet();
    const registry = createRegistry();
    registerTucker(registry);
    const r = await runCollaborative(model, data, {
      layers: ['conv1', 'conv2', 'fc1', 'fc2'],
      targetFlops: 0.3,
      pruneLadder: [0, 0.5],
      rankLadder: [1, 0.5, 0.25],
      ...training,
      registry,
      outDir: out,
    });
    const a = r.allocation!;
    // LeNet-5 at 12×12: conv1 (same) 12·12·25·6 + conv2 (valid, after 2×2 pooling) 2·2·150·16 + fc1 16·120 + fc2 120·84 + fc3 84·10
    expect(a.denseFlops).toBe(21600 + 9600 + 1920 + 10080 + 840);
    expect(r.dense.flops).toBe(a.denseFlops);
    expect(a.flops).toBeLessThanOrEqual(0.3 * a.denseFlops);
    expect(r.arms.map((x) => x.arm)).toEqual(['collaborative', 'direct']);
    const pruned = Object.fromEntries(Object.entries(a.layers).flatMap(([n, l]) => (l.pruned > 0 ? [[n, l.pruned]] : [])));
    expect(Object.keys(pruned).length).toBeGreaterThan(0);
    const ranked = Object.entries(a.layers).flatMap(([n, l]) => (l.ranks ? [n] : []));
    expect(ranked.length).toBeGreaterThan(0);
    for (const arm of r.arms) {
      expect(arm.removed).toEqual(pruned);
      expect(arm.flops).toBe(a.flops);
      expect(arm.params).toBeLessThan(r.dense.params);
      const saved = await loadModel(join(out, arm.arm, 'model.json'), { container: registry });
      for (const n of ranked) expect(saved.getLayer(n).getClassName(), n).toBe('Tucker2Conv2D');
      for (const [n, k] of Object.entries(pruned)) {
        const units = saved.getLayer(n).outputShape as number[];
        expect(units[units.length - 1], n).toBe(a.layers[n]!.kept);
        expect(a.layers[n]!.kept + k).toBe((model.getLayer(n).outputShape as number[]).at(-1));
      }
      saved.dispose();
    }
  });
});
