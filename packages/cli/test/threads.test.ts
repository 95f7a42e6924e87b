/**
 * `--threads`: what it resolves to, and training on worker threads through the stepper the
 * command line hands the ADMM trainer: two workers give bit-identical weights on a rerun and the
 * same weights as one thread up to float rounding (a model without batch norm); one thread hands
 * the trainer no stepper at all (the in-process loop, unchanged).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { trainDense } from '@tensorslim/admm';
import { selectBackend } from '@tensorslim/backends';
import { buildModel, syntheticDataset } from '@tensorslim/models';
import * as tfl from '@tensorflow/tfjs-layers';
import { modelSummary } from '@tensorslim/surgery';
import { resolveThreads, WORKER_MIN_MACS, workerPreload, workerStepper } from '../src/threads.js';

const ADMM_LOSS = fileURLToPath(new URL('../../admm/src/loss.ts', import.meta.url));

beforeAll(async () => {
  expect((await selectBackend('wasm')).name).toBe('wasm');
});

describe('resolveThreads', () => {
  it('defaults to every core; 1 gives no stepper; a GPU backend trains in process and says why', () => {
    const lines: string[] = [];
    const log = { log: (s: string) => void lines.push(s) };
    const all = resolveThreads(undefined, 'wasm', log);
    expect(all.threads).toBe(availableParallelism());
    expect(Boolean(all.stepper)).toBe(availableParallelism() > 1);
    expect(resolveThreads(1, 'wasm', log)).toEqual({ threads: 1 });
    expect(resolveThreads(3, 'cpu', log).stepper?.threads).toBe(3);
    expect(resolveThreads(4, 'webgpu', log)).toEqual({ threads: 1 });
    expect(lines.at(-1)).toBe('threads: 1, in process (--threads 4 ignored: the webgpu backend trains in process; worker threads run wasm or cpu)');
    expect(workerPreload()).toEqual(expect.arrayContaining(['@tensorslim/core', '@tensorslim/models', '@tensorslim/decomp-tt']));
  });

  it('without --threads, a model under WORKER_MIN_MACS per example trains in process; a larger one on every core; --threads N overrides', () => {
    const lines: string[] = [];
    const log = { log: (s: string) => void lines.push(s) };
    const lenet = buildModel('lenet5', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    const macs = modelSummary(lenet).totalFlops;
    expect(macs).toBeLessThan(WORKER_MIN_MACS);
    expect(resolveThreads(undefined, 'wasm', log, lenet)).toEqual({ threads: 1 });
    expect(lines.at(-1)).toBe(
      `threads: 1, in process (${(macs / 1e6).toFixed(2)}M multiply-adds per example: too few for worker threads to pay; --threads N forces N)`,
    );
    expect(resolveThreads(2, 'wasm', log, lenet).stepper?.threads).toBe(2);
    const wide = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4000], units: 2000 })] }); // 8M multiply-adds
    expect(modelSummary(wide).totalFlops).toBeGreaterThanOrEqual(WORKER_MIN_MACS);
    expect(resolveThreads(undefined, 'wasm', log, wide).threads).toBe(availableParallelism());
    lenet.dispose();
    wide.dispose();
  });
});

describe('training on worker threads (LeNet-5, 28×28 synthetic images)', () => {
  const data = syntheticDataset({ inputShape: [28, 28, 1], numClasses: 4, trainSize: 48, testSize: 16, seed: 3 });
  const run = async (threads: number): Promise<Float32Array[]> => {
    const model = buildModel('lenet5', { inputShape: [28, 28, 1], numClasses: 4, seed: 5 });
    // LeNet-5 has only TF.js's own layers; the loss from its own module (the workers transpile less)
    const stepper = threads > 1 ? workerStepper(threads, 'wasm', { preload: [], lossModule: ADMM_LOSS }) : undefined;
    const r = await trainDense(model, data, { epochs: 1, lr: 0.05, batchSize: 16, seed: 2, ...(stepper ? { stepper } : {}) });
    expect(r.history).toHaveLength(1);
    const w = model.getWeights().map((t) => t.dataSync() as Float32Array);
    model.dispose();
    return w;
  };

  it('two workers: identical weights on rerun, and the one-thread weights up to float rounding', async () => {
    const one = await run(1);
    const a = await run(2);
    const b = await run(2);
    expect(b).toEqual(a); // bit-identical
    let d = 0;
    let m = 0;
    a.forEach((w, k) => w.forEach((v, i) => ((d = Math.max(d, Math.abs(v - one[k]![i]!))), (m = Math.max(m, Math.abs(one[k]![i]!))))));
    expect(d / m).toBeLessThan(1e-5); // same gradients summed in another order
    expect(d).toBeGreaterThan(0); // ... and not by accident the in-process path
    expect(tf.getBackend()).toBe('wasm');
  }, 120_000);
});
