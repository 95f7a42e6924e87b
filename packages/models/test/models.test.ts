import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { isTensorslimError, replaceLayers, toDenseTensor } from '@tensorslim/core';
import { modelSummary, resolvePlanTargets } from '@tensorslim/surgery';
import { loadModel, saveModel } from '@tensorslim/io';
import { Rng } from '@tensorslim/linalg';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LSTMRecurrence, MODEL_NAMES, buildModel, modelInfo, compressibleLayers, defaultPlan, loadDataset, suggestLayerModes } from '../src/index.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as {
  params: Record<string, number>;
  trainable: Record<string, number>;
  keras_lstm_params: number;
  lenet5_flops: number;
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomInput(shape: number[], seed = 1): tf.Tensor {
  return tf.tensor(Float32Array.from(new Rng(seed).normalArray(shape.reduce((a, b) => a * b, 1))), shape);
}

function forwardOk(m: tfl.LayersModel, shape: number[], classes: number): void {
  const x = randomInput(shape);
  const y = m.predict(x) as tf.Tensor;
  expect(y.shape).toEqual([shape[0], classes]);
  const sums = tf.sum(y, 1).dataSync();
  for (const s of sums) expect(s).toBeCloseTo(1, 5);
  expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
  tf.dispose([x, y]);
}

describe('architectures', () => {
  it('the registry lists the models as the field names them', () => {
    expect(MODEL_NAMES).toEqual(['lenet5', 'resnet20', 'resnet32', 'resnet56', 'resnet18', 'lstm']);
    expect(MODEL_NAMES.map((n) => modelInfo(n).defaultDataset)).toEqual(['mnist', 'cifar10', 'cifar10', 'cifar10', 'cifar10', 'mnist']);
    expect(modelInfo('resnet18').inputShape).toEqual([224, 224, 3]);
  });

  it('LeNet-5: 61,706 parameters, 416,520 multiply-adds, runs forward', () => {
    const m = buildModel('lenet5');
    expect(m.countParams()).toBe(ref.params.lenet5);
    expect(m.countParams()).toBe(61706);
    const s = modelSummary(m);
    expect(s.totalFlops).toBe(ref.lenet5_flops);
    expect(s.layers.map((r) => r.name)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'fc2', 'fc3']);
    forwardOk(m, [3, 28, 28, 1], 10);
    m.dispose();
  });

  it.each([
    ['resnet20', 3],
    ['resnet32', 5],
    ['resnet56', 9],
  ] as const)('%s: the parameter count of the closed formula, named blocks, runs forward', (name, n) => {
    const m = buildModel(name);
    expect(m.countParams()).toBe(ref.params[name]);
    const names = m.layers.map((l) => l.name);
    expect(names).toContain(`stage3_block${n}_conv2`);
    expect(names).not.toContain(`stage3_block${n + 1}_conv1`);
    expect(names).toContain('stage2_block1_shortcut_conv');
    expect(names).not.toContain('stage1_block1_shortcut_conv');
    expect(names).not.toContain('stage2_block2_shortcut_conv');
    expect(m.getLayer('stage2_block1_conv1').getWeights()[0]!.shape).toEqual([3, 3, 16, 32]);
    if (name === 'resnet20') {
      expect(m.countParams()).toBe(274042);
      expect(modelSummary(m).trainableParams).toBe(ref.trainable.resnet20); // 0.27M, as published
    }
    forwardOk(m, [name === 'resnet56' ? 1 : 2, 32, 32, 3], 10);
    m.dispose();
  });

  it("ResNet-18: 11,689,512 trainable parameters for 1000 classes (torchvision's count), any input size", () => {
    const m = buildModel('resnet18', { inputShape: [64, 64, 3] });
    const s = modelSummary(m);
    expect(s.trainableParams).toBe(11689512);
    expect(s.totalParams).toBe(ref.params.resnet18);
    expect(m.getLayer('stage4_block2_conv2').outputShape).toEqual([null, 2, 2, 512]);
    m.dispose();
    const small = buildModel('resnet18', { inputShape: [32, 32, 3], numClasses: 10, width: 0.125 });
    forwardOk(small, [2, 32, 32, 3], 10);
    expect(small.getLayer('stage4_block1_conv1').getWeights()[0]!.shape).toEqual([3, 3, 32, 64]);
    small.dispose();
  });

  it('LSTM: W_x (Dense lstm_input) + LSTMRecurrence compute exactly a TF.js LSTM layer', () => {
    const m = buildModel('lstm');
    expect(m.countParams()).toBe(ref.params.lstm);
    const wx = m.getLayer('lstm_input').countParams();
    expect(wx + m.getLayer('lstm').countParams()).toBe(ref.keras_lstm_params);
    m.dispose();
    // a small one against tf.layers.lstm with the same weights
    const small = buildModel('lstm', { width: 1 / 16, seed: 3 }); // H = 8
    const x = randomInput([2, 28, 28, 1], 4);
    const sub = tfl.model({ inputs: small.inputs, outputs: small.getLayer('lstm').output as tfl.SymbolicTensor });
    const ours = sub.predict(x) as tf.Tensor;
    const ref2 = tfl.layers.lstm({ units: 8, recurrentActivation: 'sigmoid', activation: 'tanh' });
    const seq = tf.reshape(x, [2, 28, 28]);
    ref2.apply(seq); // build
    const [u, b] = small.getLayer('lstm').getWeights();
    ref2.setWeights([small.getLayer('lstm_input').getWeights()[0]!, u!, b!]);
    const theirs = ref2.apply(seq) as tf.Tensor;
    expect(ours.shape).toEqual([2, 8]);
    expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]).toBeLessThan(1e-5);
    // unit forget bias, orthogonal recurrent rows
    expect(Array.from(b!.dataSync().slice(8, 16))).toEqual(new Array(8).fill(1));
    const uut = tf.matMul(u!, u!, false, true).dataSync();
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(uut[i * 8 + j]).toBeCloseTo(i === j ? 1 : 0, 5);
    expect(modelSummary(small).layers.find((r) => r.name === 'lstm')!.flops).toBe(28 * 8 * 32);
    expect(modelSummary(small).layers.find((r) => r.name === 'lstm_input')!.flops).toBe(28 * 28 * 32);
    forwardOk(small, [2, 28, 28, 1], 10);
    // returnSequences: every step's hidden state, as tf.layers.lstm returns them
    const gates = tf.reshape(tf.matMul(tf.reshape(seq, [56, 28]), small.getLayer('lstm_input').getWeights()[0]! as tf.Tensor2D), [2, 28, 32]);
    const rs = new LSTMRecurrence({ units: 8, returnSequences: true });
    rs.apply(gates);
    rs.setWeights([u!, b!]);
    const ref3 = tfl.layers.lstm({ units: 8, recurrentActivation: 'sigmoid', returnSequences: true });
    ref3.apply(seq);
    ref3.setWeights([small.getLayer('lstm_input').getWeights()[0]!, u!, b!]);
    const [allOurs, allTheirs] = [rs.apply(gates) as tf.Tensor, ref3.apply(seq) as tf.Tensor];
    expect(allOurs.shape).toEqual([2, 28, 8]);
    expect(tf.max(tf.abs(tf.sub(allOurs, allTheirs))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, ours, theirs, seq, gates, allOurs, allTheirs]);
    small.dispose();
  });

  it('the LSTM passes through surgery and save/load unchanged; lstm_input can be replaced', async () => {
    const m = buildModel('lstm', { width: 1 / 16 });
    const x = randomInput([3, 28, 28, 1], 6);
    const y0 = m.predict(x) as tf.Tensor;
    const same = await replaceLayers(m, {});
    const y1 = same.predict(x) as tf.Tensor;
    expect(Array.from(y1.dataSync())).toEqual(Array.from(y0.dataSync()));
    const k = toDenseTensor(m.getLayer('lstm_input').getWeights()[0]!);
    const dense = await replaceLayers(m, {
      lstm_input: { className: 'Dense', config: { units: 32, useBias: false }, weights: [k], params: k.data.length, flops: 0 },
    });
    const y2 = dense.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y0.dataSync()));
    const dir = mkdtempSync(join(tmpdir(), 'tensorslim-lstm-'));
    try {
      await saveModel(m, dir);
      const back = await loadModel(dir);
      expect(back.getLayer('lstm').getClassName()).toBe('LSTMRecurrence');
      const y3 = back.predict(x) as tf.Tensor;
      expect(Array.from(y3.dataSync())).toEqual(Array.from(y0.dataSync()));
      back.dispose();
      y3.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    tf.dispose([x, y0, y1, y2]);
    [m, same, dense].forEach((mm) => mm.dispose());
  });

  it('LeNet-5 and the LSTM train: the loss on a fixed MNIST batch falls (gradients flow through every layer)', async () => {
    // cpu-backend convolution gradients are slow: LeNet gets a small batch; real training runs on wasm
    const data = await loadDataset('mnist', { limit: 64, seed: 2 });
    for (const [m, batchSize, steps] of [
      [buildModel('lenet5', { width: 0.5, seed: 2 }), 16, 8],
      [buildModel('lstm', { width: 1 / 8, seed: 2 }), 64, 12],
    ] as const) {
      const batch = data.trainBatches(batchSize, { epoch: 0, seed: 1 })[Symbol.iterator]().next().value!;
      m.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy' });
      const before = m.trainableWeights.map((w) => w.read().dataSync().slice());
      expect(before.length, m.name).toBeGreaterThan(0);
      const losses: number[] = [];
      for (let i = 0; i < steps; i++) losses.push(Number(await m.trainOnBatch(batch.xs, batch.ys)));
      expect(losses.every(Number.isFinite), m.name).toBe(true);
      expect(losses[steps - 1]!, m.name).toBeLessThan(0.7 * losses[0]!);
      // every trainable weight moved: a gradient reached every layer
      m.trainableWeights.forEach((w, i) => {
        const now = w.read().dataSync();
        expect(now.every(Number.isFinite), w.name).toBe(true);
        expect(Math.max(...Array.from(now, (v, j) => Math.abs(v - before[i]![j]!))), w.name).toBeGreaterThan(0);
      });
      tf.dispose([batch.xs, batch.ys]);
      m.dispose();
    }
  });

  it('the seed fixes the initial weights', () => {
    const w = (seed: number) => Array.from(buildModel('lenet5', { seed }).getLayer('fc1').getWeights()[0]!.dataSync().slice(0, 20));
    expect(w(7)).toEqual(w(7));
    expect(w(7)).not.toEqual(w(8));
  });

  it('an unknown name: TS_UNKNOWN_NAME listing the known models', () => {
    try {
      buildModel('vgg16');
      expect.unreachable();
    } catch (e) {
      expect(isTensorslimError(e, 'TS_UNKNOWN_NAME')).toBe(true);
      expect((e as Error).message).toBe('unknown model "vgg16" — known models: lenet5, resnet20, resnet32, resnet56, resnet18, lstm');
    }
    expect(() => buildModel('lenet5', { numClasses: 1 })).toThrow(/numClasses 1 must be an integer ≥ 2/);
  });
});

describe('default plans', () => {
  it("suggested modes follow the reference implementation's ResNet tensorizations", () => {
    expect(suggestLayerModes(16, 16)).toEqual({ outModes: [16], inModes: [16] });
    expect(suggestLayerModes(16, 32)).toEqual({ outModes: [8, 4], inModes: [4, 4] });
    expect(suggestLayerModes(32, 32)).toEqual({ outModes: [8, 4], inModes: [4, 8] });
    expect(suggestLayerModes(64, 64)).toEqual({ outModes: [8, 8], inModes: [8, 8] });
  });

  it('ResNet-20: the 18 block convolutions (not the stem, shortcuts or classifier), same plan for every format', () => {
    const plan = defaultPlan('resnet20', 'tt');
    const names = Object.keys(plan.layers);
    expect(names.length).toBe(18);
    expect(names.every((n) => /^stage\d_block\d_conv[12]$/.test(n))).toBe(true);
    expect(plan.layers['stage1_block1_conv1']).toEqual({ format: 'tt', outModes: [16], inModes: [16], ranks: { ratio: 3 } });
    expect(plan.layers['stage2_block1_conv1']).toMatchObject({ outModes: [8, 4], inModes: [4, 4] });
    const other = defaultPlan('resnet20', 'my-format', 2.5);
    expect(Object.keys(other.layers)).toEqual(names);
    expect(other.layers['stage3_block3_conv2']).toEqual({ format: 'my-format', outModes: [8, 8], inModes: [8, 8], ranks: { ratio: 2.5 } });
    // the plan binds to the built model without error
    const m = buildModel('resnet20');
    const targets = resolvePlanTargets(m, plan);
    expect(targets.length).toBe(18);
    expect(targets.find((t) => t.name === 'stage2_block1_conv1')!.layout.kernelShape).toEqual([3, 3, 16, 32]);
    m.dispose();
  });

  it("every model's default plan binds to the model built with the same options", () => {
    for (const [name, opts] of [
      ['lenet5', {}],
      ['lenet5', { width: 0.5 }],
      ['resnet32', { width: 0.5 }],
      ['resnet18', { inputShape: [32, 32, 3], width: 0.125, numClasses: 10 }],
      ['lstm', {}],
      ['lstm', { width: 0.25 }],
    ] as const) {
      const m = buildModel(name, opts);
      const plan = defaultPlan(name, 'x', undefined, opts);
      const t = resolvePlanTargets(m, plan);
      expect(t.length, name).toBeGreaterThan(0);
      expect(
        t.map((x) => x.name),
        name,
      ).toEqual(compressibleLayers(name, opts).map((l) => l.name));
      m.dispose();
    }
    expect(Object.keys(defaultPlan('lenet5', 'x').layers)).toEqual(['conv2', 'fc1', 'fc2']);
    expect(defaultPlan('lenet5', 'x').layers.fc1).toEqual({ format: 'x', outModes: [12, 10], inModes: [20, 20], ranks: { ratio: 5 } });
    expect(defaultPlan('lstm', 'x').layers).toEqual({ lstm_input: { format: 'x', outModes: [4, 16, 8], inModes: [4, 7], ranks: { ratio: 5 } } });
    expect(() => defaultPlan('nope', 'tt')).toThrow(/unknown model "nope"/);
  });
});
