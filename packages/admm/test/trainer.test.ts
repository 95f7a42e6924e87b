import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isTensorslimError } from '@tensorslim/core';
import {
  ADMM_DEFAULTS,
  CheckpointStore,
  COMPRESS_DEFAULTS,
  COMPRESS_OPTION_DOCS,
  evaluate,
  makeLoss,
  makeOptimizer,
  resolveCompressSettings,
  resolveTrainOptions,
  trainDense,
  trainLoop,
  type BatchTransform,
} from '@tensorslim/admm';
import { classificationSource, mlp, regressionSource, weightsOf } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('losses', () => {
  it('crossentropy with label smoothing, on probabilities and on logits, matches the hand computation', () => {
    const logits = [
      [2, 0.5, -1],
      [0, 1, 3],
    ];
    const y = [
      [1, 0, 0],
      [0, 0, 1],
    ];
    const eps = 0.1;
    let want = 0;
    for (let i = 0; i < 2; i++) {
      const z = Math.log(logits[i]!.reduce((s, v) => s + Math.exp(v), 0));
      for (let j = 0; j < 3; j++) want -= (y[i]![j]! * (1 - eps) + eps / 3) * (logits[i]![j]! - z);
    }
    want /= 2;
    const yt = tf.tensor2d(y);
    const viaLogits = makeLoss('crossentropy', 'logits', eps)(yt, tf.tensor2d(logits)).dataSync()[0]!;
    const viaProbs = makeLoss('crossentropy', 'probabilities', eps)(yt, tf.softmax(tf.tensor2d(logits))).dataSync()[0]!;
    expect(viaLogits).toBeCloseTo(want, 5);
    expect(viaProbs).toBeCloseTo(want, 5);
    expect(makeLoss('mse', 'logits')(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 4]])).dataSync()[0]).toBeCloseTo(2.5, 6);
  });

  it('evaluate: accuracy and loss of a model with known weights', async () => {
    const model = mlp(2, [2], { bias: false, softmax: true });
    model.setWeights([
      tf.tensor2d([
        [1, 0],
        [0, 1],
      ]),
    ]); // class = argmax(x)
    const x = new Float32Array([3, 1, 0, 2, 5, 4, 1, 1.5]);
    const y = new Float32Array([1, 0, 0, 1, 0, 1, 0, 1]); // the third is wrong (5 > 4 but labelled 1)
    const src = classificationSource(2, 2, 4, 4, 1);
    Object.assign(src, { vx: x, vy: y });
    const e = await evaluate(model, src, { batchSize: 3 });
    expect(e.examples).toBe(4);
    expect(e.accuracy).toBe(0.75);
    const p = (a: number, b: number) => Math.exp(b) / (Math.exp(a) + Math.exp(b)); // prob of class 1
    const want = -(Math.log(1 - p(3, 1)) + Math.log(p(0, 2)) + Math.log(p(5, 4)) + Math.log(p(1, 1.5))) / 4;
    expect(e.loss).toBeCloseTo(want, 5);
  });
});

describe('trainLoop', () => {
  it('learns, records one epoch each, and reports steps', async () => {
    const data = classificationSource(10, 3, 256, 128, 2);
    const model = mlp(10, [16, 3], { softmax: true, seed: 3 });
    const before = await evaluate(model, data);
    const tensors = tf.memory().numTensors;
    const steps: number[] = [];
    const r = await trainDense(model, data, { epochs: 4, lr: 0.05, batchSize: 32, onEvent: (e) => void (e.type === 'step' && steps.push(e.epoch)) });
    expect(tf.memory().numTensors).toBe(tensors); // nothing leaks
    expect(r.history).toHaveLength(4);
    expect(r.history[3]!.trainLoss).toBeLessThan(r.history[0]!.trainLoss);
    expect(r.evaluation.accuracy).toBeGreaterThan(Math.max(0.8, before.accuracy!));
    expect(r.history.every((h) => h.lr === 0.05 && h.rho === null)).toBe(true);
    // one step event per batch: 256 examples in batches of 32, for each of the 4 epochs
    expect(steps).toEqual([0, 1, 2, 3].flatMap((epoch) => new Array(8).fill(epoch)));
  });

  it('a non-finite loss throws TS_DIVERGED and the step is not applied', async () => {
    const data = regressionSource(new Float64Array(12).fill(1), 4, 3, 64, 16, 0, 3);
    const model = mlp(4, [3], { bias: false });
    const o = resolveTrainOptions({ epochs: 50, lr: 1e4, batchSize: 16, loss: 'mse' });
    const opt = makeOptimizer(o);
    let last: Float32Array[] = weightsOf(model);
    try {
      await trainLoop({ phase: 't', model, data, options: o, optimizer: opt, afterStep: () => void (last = weightsOf(model)) });
      expect.unreachable();
    } catch (e) {
      expect(isTensorslimError(e, 'TS_DIVERGED')).toBe(true);
      expect(String(e)).toMatch(/diverged in phase t at epoch \d+, step \d+ \(loss (NaN|Infinity)\); the step was not applied/);
    }
    expect(weightsOf(model)).toEqual(last); // untouched since the last good step
  });

  it('with readEvery 4, a non-finite loss is found at the next read and the message says how many steps were applied', async () => {
    const data = regressionSource(new Float64Array(12).fill(1), 4, 3, 64, 16, 0, 3);
    const model = mlp(4, [3], { bias: false });
    const o = resolveTrainOptions({ epochs: 50, lr: 1e4, batchSize: 16, loss: 'mse' });
    const opt = makeOptimizer(o);
    const reads: number[] = [];
    const tensors = tf.memory().numTensors;
    const e = await trainLoop({ phase: 't', model, data, options: o, optimizer: opt, readEvery: 4, afterStep: (pos) => void reads.push(pos.globalStep) }).then(
      () => expect.unreachable(),
      (err: unknown) => err,
    );
    expect(isTensorslimError(e, 'TS_DIVERGED')).toBe(true);
    expect(String(e)).toMatch(
      /diverged in phase t at epoch \d+, step \d+ \(loss (NaN|Infinity)\); the losses were read every 4 steps: this step and the [0-3] after it were applied/,
    );
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((g) => g % 4 === 0)).toBe(true); // 4 steps per epoch: the reads fall on epoch ends
    opt.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors + 1); // the pending losses were freed (the optimizer's lr scalar may stay)
  });

  it('continuing from a saved position and optimizer state equals running straight through', async () => {
    const data = classificationSource(6, 3, 96, 0, 4);
    const o = resolveTrainOptions({ epochs: 3, lr: 0.05, batchSize: 32 });
    const a = mlp(6, [8, 3], { softmax: true, seed: 5 });
    const optA = makeOptimizer(o);
    await trainLoop({ phase: 't', model: a, data, options: o, optimizer: optA });
    // interrupted after global step 4 (epoch 1, step 1)
    const b = mlp(6, [8, 3], { softmax: true, seed: 5 });
    const optB = makeOptimizer(o);
    let saved: { pos: unknown; w: Float32Array[]; opt: { name: string; tensor: tf.Tensor }[] } | null = null;
    await expect(
      trainLoop({
        phase: 't',
        model: b,
        data,
        options: o,
        optimizer: optB,
        afterStep: async (pos) => {
          if (pos.globalStep === 4) {
            const ws = await optB.getWeights();
            saved = { pos, w: weightsOf(b), opt: ws.map((x) => ({ name: x.name, tensor: tf.clone(x.tensor) })) };
            throw new Error('interrupted');
          }
        },
      }),
    ).rejects.toThrow('interrupted');
    const c = mlp(6, [8, 3], { softmax: true, seed: 99 });
    c.setWeights(saved!.w.map((w, i) => tf.tensor(w, c.weights[i]!.shape as number[])));
    const optC = makeOptimizer(o);
    await optC.setWeights(saved!.opt);
    expect((saved!.pos as { epoch: number; step: number }).epoch).toBe(1);
    await trainLoop({ phase: 't', model: c, data, options: o, optimizer: optC, start: saved!.pos as never });
    expect(weightsOf(c)).toEqual(weightsOf(a));
  });
});

describe('CheckpointStore', () => {
  it('round-trips tensors of each dtype; skips incomplete checkpoints; cleans leftovers; keeps tags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admm-ckpt-'));
    const s = new CheckpointStore<{ n: number }>(dir, { keep: 2 });
    const t = [
      { key: 'a', shape: [2, 2], data: new Float32Array([1, 2, 3, 4.5]) },
      { key: 'b', shape: [3], data: new Float64Array([Math.PI, -1e-300, 7]) },
      { key: 'c', shape: [1], data: new Int32Array([-5]) },
    ];
    const p1 = await s.write({ n: 1 }, t, 'start');
    const back = s.readTensors(p1);
    expect(Array.from(back.get('a')!.data)).toEqual([1, 2, 3, 4.5]);
    expect(back.get('b')!.data).toBeInstanceOf(Float64Array);
    expect(Array.from(back.get('b')!.data)).toEqual([Math.PI, -1e-300, 7]);
    expect(Array.from(back.get('c')!.data)).toEqual([-5]);
    for (let n = 2; n <= 5; n++) await s.write({ n }, t);
    expect(s.list().map((c) => [c.state.n, c.tag])).toEqual([
      [1, 'start'],
      [4, null],
      [5, null],
    ]);
    // a checkpoint whose tensors are short is not "complete": latest() falls back to the previous one
    const last = s.latest()!;
    truncateSync(join(last.path, 'tensors.bin'), 8);
    expect(s.latest()!.state.n).toBe(4);
    // leftovers of an interrupted write are removed when the store opens
    mkdirSync(join(dir, '.tmp-ckpt-000009-123'));
    writeFileSync(join(dir, '.tmp-ckpt-000009-123', 'checkpoint.json'), '{');
    new CheckpointStore(dir);
    expect(readdirSync(dir).some((e) => e.startsWith('.tmp-'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('options', () => {
  it("defaults are the paper's: ρ = 1e-3 constant, update per epoch, momentum 0.9, ADMM lr 0.1, fine-tune lr 0.005", () => {
    const s = resolveCompressSettings();
    expect([s.rho, s.rhoSchedule, s.updateEvery, s.momentum, s.admmLr, s.finetuneLr]).toEqual([1e-3, null, 'epoch', 0.9, 0.1, 0.005]);
    expect(ADMM_DEFAULTS.rho).toBe(1e-3);
    expect(new Set(COMPRESS_OPTION_DOCS.map((d) => d.key))).toEqual(new Set(Object.keys(COMPRESS_DEFAULTS)));
  });
  it('invalid values are TS_OPTION errors naming the option, the value and what is allowed', () => {
    const errorOf = (f: () => unknown): string => {
      let caught: unknown = null;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(isTensorslimError(caught, 'TS_OPTION'), String(caught)).toBe(true);
      return String(caught);
    };
    for (const [bad, message] of [
      [{ rho: -1 }, 'option rho -1 is invalid — it must be a positive number'],
      [{ updateEvery: 0 }, "option updateEvery 0 is invalid — it must be 'epoch' or a positive integer"],
      [{ rhoSchedule: { factor: 0.5, every: 1, max: 1 } }, 'option rhoSchedule.factor 0.5 is invalid — it must be a number ≥ 1'],
      [{ rhoSchedule: { factor: 2, every: 1, max: 1e-5 } }, 'option rhoSchedule.max 0.00001 is invalid — it must be a number ≥ rho (0.001)'],
      [{ momentum: 1 }, 'option momentum 1 is invalid — it must be a number in [0, 1)'],
      [{ admmEpochs: 1.5 }, 'option admmEpochs 1.5 is invalid — it must be an integer ≥ 0'],
      [{ labelSmoothing: 1 }, 'option labelSmoothing 1 is invalid — it must be a number in [0, 1)'],
      [{ loss: 'hinge' }, "option loss 'hinge' is invalid — it must be 'crossentropy' or 'mse'"],
      [{ baseline: 'yes' }, "option baseline 'yes' is invalid — it must be true or false"],
      [{ primalTol: -1 }, 'option primalTol -1 is invalid — it must be a number ≥ 0 or null'],
      [{ admmEpoch: 3 }, 'unknown option "admmEpoch" — known options: seed, batchSize, evalBatchSize'],
    ] as const) {
      expect(errorOf(() => resolveCompressSettings(bad as never))).toContain(message);
    }
    // the other settings objects are checked by their own schemas
    expect(errorOf(() => resolveTrainOptions({ batchSize: 0 }))).toContain('option batchSize 0 is invalid — it must be a positive integer');
    expect(errorOf(() => resolveTrainOptions({ batch: 64 } as never))).toContain('unknown option "batch"');
  });
  it('the help lines of the pipeline options come from the schema: every option, its default and where it comes from', () => {
    const doc = (key: string) => COMPRESS_OPTION_DOCS.find((d) => d.key === key);
    expect(doc('rho')).toEqual({ key: 'rho', default: '0.001', help: "ADMM penalty ρ (the paper's)" });
    expect(doc('admmEpochs')).toEqual({ key: 'admmEpochs', default: '200', help: "ADMM training epochs (the paper's, CIFAR)" });
    expect(doc('rhoSchedule')?.default).toBe("constant, the paper's");
    expect(doc('primalTol')?.default).toBe('off');
    expect(doc('baseline')?.help).toMatch(/then finetuneEpochs of fine-tuning \(it trains admmEpochs fewer epochs than ADMM\)/);
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
