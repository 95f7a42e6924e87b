import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelSummary } from '@tensorslim/surgery';
import { buildModel } from '@tensorslim/models';
import { prunablePairs, removeChannels, zeroChannels } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Sets, in layer `name`, the entries of weight `wi` whose index along `axis` satisfies `pick` to zero. */
function zeroOut(model: tfl.LayersModel, name: string, wi: number, axis: number, pick: (j: number) => boolean): void {
  const l = model.getLayer(name);
  const ws = l.getWeights();
  const w = ws[wi]!;
  const ax = axis < 0 ? w.rank + axis : axis;
  const inner = w.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const d = Float32Array.from(w.dataSync());
  for (let i = 0; i < d.length; i++) if (pick(Math.floor(i / inner) % w.shape[ax]!)) d[i] = 0;
  ws[wi] = tf.tensor(d, w.shape);
  l.setWeights(ws);
}

/** Sets every weight of a layer to small random nonzero values (BN statistics positive). */
function randomize(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (const l of model.layers) {
    const ws = l.getWeights().map((w, i) => {
      const d = Float32Array.from({ length: w.size }, () => rnd() * 0.5);
      if (l.getClassName() === 'BatchNormalization' && i === 3) d.forEach((v, j) => (d[j] = 0.5 + Math.abs(v)));
      return tf.tensor(d, w.shape);
    });
    l.setWeights(ws);
  }
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

describe('channel surgery', () => {
  it('LeNet-5: every conv/dense but the classifier is prunable; zero channels go, the function stays', async () => {
    const m = buildModel('lenet5', { seed: 3 });
    const { pairs, notPrunable } = prunablePairs(m);
    expect(pairs.map((p) => `${p.producer}>${p.consumer}:${p.positions}`)).toEqual(['conv1>conv2:1', 'conv2>fc1:25', 'fc1>fc2:1', 'fc2>fc3:1']);
    expect(notPrunable).toEqual([{ layer: 'fc3', reason: 'is a model output' }]);
    randomize(m, 11);
    // conv1: filters 1 and 4 zero at the producer (kernel and bias)
    zeroOut(m, 'conv1', 0, -1, (c) => c === 1 || c === 4);
    zeroOut(m, 'conv1', 1, 0, (c) => c === 1 || c === 4);
    // conv2's channels 0, 7, 15: zero where fc1 reads them (every flattened position)
    zeroOut(m, 'fc1', 0, 0, (r) => [0, 7, 15].includes(r % 16));
    // fc1: units 3..62 zero at the producer
    zeroOut(m, 'fc1', 0, -1, (u) => u >= 3 && u < 63);
    zeroOut(m, 'fc1', 1, 0, (u) => u >= 3 && u < 63);
    expect(await zeroChannels(m, pairs[0]!)).toEqual([1, 4]);
    expect(await zeroChannels(m, pairs[1]!)).toEqual([0, 7, 15]);
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 5);
    const before = m.predict(x) as tf.Tensor;
    const { model: small, removed } = await removeChannels(m);
    expect(removed.map((r) => [r.pair.producer, r.kept])).toEqual([
      ['conv1', 4],
      ['conv2', 13],
      ['fc1', 60],
    ]);
    expect(small.getLayer('conv1').getWeights()[0]!.shape).toEqual([5, 5, 1, 4]);
    expect(small.getLayer('conv2').getWeights()[0]!.shape).toEqual([5, 5, 4, 13]);
    expect(small.getLayer('fc1').getWeights()[0]!.shape).toEqual([325, 60]);
    expect(small.getLayer('fc2').getWeights()[0]!.shape).toEqual([60, 84]);
    const after = small.predict(x) as tf.Tensor;
    expect(maxDiff(before, after)).toBeLessThan(1e-6);
    const [p0, p1] = [modelSummary(m), modelSummary(small)];
    // conv1 −2·26, conv2 −(2·25·16 + 3·25·4 + 3), fc1 −(75·120 + 60·325 + 60), fc2 −60·84
    expect(p0.totalParams - p1.totalParams).toBe(2 * 26 + (2 * 25 * 16 + 3 * 25 * 4 + 3) + (75 * 120 + 60 * 325 + 60) + 60 * 84);
    expect(p1.totalFlops).toBeLessThan(p0.totalFlops);
  });

  it('a channel that is not zero changes the function when removed (the check has teeth)', async () => {
    const m = buildModel('lenet5', { seed: 3 });
    randomize(m, 12);
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 6);
    const { model: small } = await removeChannels(m, { conv1: [2] });
    expect(maxDiff(m.predict(x) as tf.Tensor, small.predict(x) as tf.Tensor)).toBeGreaterThan(1e-4);
  });

  it('ResNet-20: only the first conv of each block is prunable (through BN and ReLU); the rest feed Add', async () => {
    const m = buildModel('resnet20', { seed: 1, inputShape: [8, 8, 3], numClasses: 4 });
    const { pairs, notPrunable } = prunablePairs(m);
    expect(pairs.map((p) => p.producer)).toEqual([1, 2, 3].flatMap((s) => [1, 2, 3].map((b) => `stage${s}_block${b}_conv1`)));
    expect(pairs[0]).toMatchObject({ consumer: 'stage1_block1_conv2', via: ['stage1_block1_bn1', 'stage1_block1_relu1'], positions: 1 });
    const reasons = Object.fromEntries(notPrunable.map((n) => [n.layer, n.reason]));
    expect(reasons['stage1_block1_conv2']).toBe('feeds Add "stage1_block1_add"');
    expect(reasons['stage2_block1_shortcut_conv']).toMatch(/^feeds Add/);
    expect(reasons['conv1']).toMatch(/read by 2 layers|feeds Add/);
    expect(reasons['fc']).toBe('is a model output');
    randomize(m, 13);
    // stage2_block2_conv1: filters 0..19 zero at the producer: kernel, and γ = β = 0 in its BN
    zeroOut(m, 'stage2_block2_conv1', 0, -1, (c) => c < 20);
    zeroOut(m, 'stage2_block2_bn1', 0, 0, (c) => c < 20);
    zeroOut(m, 'stage2_block2_bn1', 1, 0, (c) => c < 20);
    // stage3_block1_conv1: channels 5 and 6 unread by stage3_block1_conv2
    zeroOut(m, 'stage3_block1_conv2', 0, 2, (c) => c === 5 || c === 6);
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 7);
    const before = m.predict(x) as tf.Tensor;
    const { model: small, removed } = await removeChannels(m);
    expect(removed.map((r) => [r.pair.producer, r.removed.length])).toEqual([
      ['stage2_block2_conv1', 20],
      ['stage3_block1_conv1', 2],
    ]);
    expect(small.getLayer('stage2_block2_bn1').getWeights()[2]!.shape).toEqual([12]);
    expect(small.getLayer('stage2_block2_conv2').getWeights()[0]!.shape).toEqual([3, 3, 12, 32]);
    expect(maxDiff(before, small.predict(x) as tf.Tensor)).toBeLessThan(1e-6);
    expect(modelSummary(m).totalParams - modelSummary(small).totalParams).toBe(20 * (9 * 32 + 4 + 9 * 32) + 2 * (9 * 32 + 4 + 9 * 64));
    await expect(removeChannels(m, { stage1_block1_conv2: [0] })).rejects.toThrow(/cannot be removed/);
  });
});
