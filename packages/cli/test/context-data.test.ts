// resolveDataset on synthetic data: a loaded model's shape and classes are used, and a loaded
// model of the default shape sees the very examples it saw before shapes were passed (the webgpu
// end-to-end test evaluates a saved model on those examples); a built-in model gets its data
// generated at the --limit / --eval-limit sizes.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { DataSource } from '@tensorslim/core';
import { resolveDataset } from '../src/context.js';

await tf.setBackend('cpu');

/** Every example of one split, flattened, and its labels. */
async function examples(data: DataSource, split: 'train' | 'test'): Promise<{ x: number[]; y: number[] }> {
  const x: number[] = [];
  const y: number[] = [];
  const batches = split === 'train' ? data.trainBatches(1000, { epoch: 0, seed: 1 }) : data.valBatches(1000);
  for (const b of batches) {
    x.push(...(await b.xs.data()));
    const labels = tf.argMax(b.ys, -1);
    y.push(...(await labels.data()));
    tf.dispose([b.xs, b.ys, labels]);
  }
  return { x, y };
}

describe('resolveDataset on synthetic data', () => {
  const flags = { dataset: 'synthetic', limit: 32, evalLimit: 16, seed: 1 };

  it("a loaded model's shape and classes shape the data", async () => {
    const d = await resolveDataset({ ...flags, model: 'user/model.json', inputShape: [4, 4, 2], numClasses: 5 });
    expect([...d.inputShape]).toEqual([4, 4, 2]);
    expect(d.numClasses).toBe(5);
    const t = await examples(d, 'test');
    expect(d.trainSize).toBe(32);
    expect(t.y.length).toBe(16);
    expect(t.x.length).toBe(16 * 32);
  });

  it('a loaded model of the default shape ([8] → 3) sees the same examples as when no shape is passed', async () => {
    const passed = await resolveDataset({ ...flags, model: 'user/model.json', inputShape: [8], numClasses: 3 });
    const plain = await resolveDataset({ ...flags, model: 'user/model.json' });
    for (const split of ['train', 'test'] as const) {
      const [a, b] = [await examples(passed, split), await examples(plain, split)];
      expect(a.y.length).toBe(split === 'train' ? 32 : 16);
      expect(a).toEqual(b);
    }
  });
});
