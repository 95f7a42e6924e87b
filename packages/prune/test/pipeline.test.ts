import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '@tensorslim/core';
import { buildModel, loadDataset } from '@tensorslim/models';
import { runReweighted } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('runReweighted (small synthetic run)', () => {
  it('reaches the filter sparsity, and the pruned models are physically smaller', async () => {
    const data = await loadDataset('synthetic', { seed: 2, synthetic: { inputShape: [12, 12, 1], numClasses: 10, trainSize: 64, testSize: 32 } });
    const model = buildModel('lenet5', { seed: 2, inputShape: [12, 12, 1] });
    const r = await runReweighted(model, data, {
      layers: ['conv2', 'fc1', 'fc2', 'fc3'],
      sparsity: 0.9,
      granularity: 'filter',
      trainEpochs: 1,
      lr: 0.01,
      finetuneEpochs: 1,
      finetuneLr: 0.01,
      batchSize: 32,
      seed: 2,
      updateEvery: 2,
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
