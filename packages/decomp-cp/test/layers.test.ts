import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { denseFlops, detensorize, resolveLayerTarget, tensorize, type DenseLayerInfo, type FactorizedLayerSpec } from '@tensorslim/core';
import { Rng, tensor, type DenseTensor } from '@tensorslim/linalg';
import { cpAls, cpLayers, CPConv2D, CPDense, cpReconstruct as reconstructCp } from '../src/index.js';

const cpLayerFromFactors = cpLayers.fromFactors;
import { codeOf } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const toTf = (t: DenseTensor) => tf.tensor(Array.from(t.data), [...t.shape], 'float32');

function outSize(n: number, k: number, s: number, d: number, padding: 'same' | 'valid'): number {
  const ke = (k - 1) * d + 1;
  return padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - ke + 1) / s);
}

interface ConvCase {
  strides: number;
  padding: 'same' | 'valid';
  dilation: number;
  batch: number;
  outModes?: number[];
  inModes?: number[];
}

const CIN = 6;
const COUT = 8;
const K = 3;
const HW = 9;
const R = 4;

/** A random conv layer, its CP factors (ALS, rank R) and the CP layer spec that replaces it. */
function convSetup(c: ConvCase, seed: number, forwardMode: string) {
  const rng = new Rng(seed);
  const kernel = tensor(
    [K, K, CIN, COUT],
    rng.normalArray(K * K * CIN * COUT).map((v) => 0.3 * v),
  );
  const bias = tensor(
    [COUT],
    rng.normalArray(COUT).map((v) => 0.1 * v),
  );
  const ho = outSize(HW, K, c.strides, c.dilation, c.padding);
  const layer: DenseLayerInfo = {
    name: 'conv',
    kind: 'conv2d',
    config: { strides: [c.strides, c.strides], padding: c.padding, dilationRate: [c.dilation, c.dilation], activation: 'linear', useBias: true },
    inputShape: [HW, HW, CIN],
    outputShape: [ho, ho, COUT],
    kernel,
    bias,
  };
  const target = resolveLayerTarget(
    'conv',
    { format: 'cp', outModes: c.outModes ?? [COUT], inModes: c.inModes ?? [CIN], ranks: [R], options: { forwardMode } },
    'conv2d',
    kernel.shape,
  );
  const factors = cpAls(tensorize(kernel, target.layout), target.ranks, { sweeps: 20 });
  const spec = cpLayerFromFactors(layer, factors, target);
  // the dense kernel the factors stand for, in TF.js layout
  const approx = detensorize(reconstructCp(factors), target.layout);
  return { layer, target, factors, spec, approx, bias };
}

function buildConv(spec: FactorizedLayerSpec, batchShape: number[]): CPConv2D {
  const l = new CPConv2D(spec.config as unknown as ConstructorParameters<typeof CPConv2D>[0]);
  l.build(batchShape);
  const ws = spec.weights.map(toTf);
  l.setWeights(ws);
  tf.dispose(ws);
  return l;
}

const cases: ConvCase[] = [
  { strides: 1, padding: 'same', dilation: 1, batch: 1 },
  { strides: 1, padding: 'valid', dilation: 1, batch: 7 },
  { strides: 2, padding: 'same', dilation: 1, batch: 7 },
  { strides: 2, padding: 'valid', dilation: 1, batch: 1 },
  { strides: 1, padding: 'same', dilation: 2, batch: 7 },
  { strides: 1, padding: 'valid', dilation: 2, batch: 1 },
  { strides: 2, padding: 'same', dilation: 1, batch: 7, outModes: [4, 2], inModes: [3, 2] },
];

describe('CPConv2D equals the dense convolution with the reconstructed kernel', () => {
  it.each(cases.flatMap((c, i) => (['factorized', 'reconstructed'] as const).map((m) => [`${JSON.stringify(c)} ${m}`, c, m, i] as const)))(
    '%s',
    (_label, c, mode, i) => {
      const { spec, approx, bias } = convSetup(c, 100 + i, mode);
      const layer = buildConv(spec, [c.batch, HW, HW, CIN]);
      expect(layer.forwardMode).toBe(mode);
      const x = tf.randomNormal([c.batch, HW, HW, CIN], 0, 1, 'float32', 7 + i) as tf.Tensor4D;
      const got = layer.apply(x) as tf.Tensor;
      const dense = tf.add(tf.conv2d(x, toTf(approx) as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilation), toTf(bias));
      expect(got.shape).toEqual(dense.shape);
      const diff = tf.max(tf.abs(tf.sub(got, dense))).dataSync()[0]!;
      const scale = tf.max(tf.abs(dense)).dataSync()[0]!;
      expect(scale).toBeGreaterThan(0.1);
      expect(diff).toBeLessThanOrEqual(1e-4);
      // and the layer's own kernel is the reconstructed one
      const k = layer.reconstructKernel();
      expect(tf.max(tf.abs(tf.sub(k, toTf(approx)))).dataSync()[0]!).toBeLessThan(1e-5);
      tf.dispose([x, got, dense, k]);
    },
  );

  it('FLOPs are those of 1×1 → depthwise → 1×1, in the spec and in the built layer', () => {
    const c = cases[0]!;
    const { spec } = convSetup(c, 1, 'factorized');
    const layer = buildConv(spec, [1, HW, HW, CIN]);
    const px = HW * HW;
    const want = px * CIN * R + px * (K * K * R + R * COUT);
    expect(layer.factorizedFlops()).toBe(want);
    expect(spec.flops).toBe(want);
    expect(layer.denseFlops()).toBe(denseFlops(K, K, CIN, COUT, px));
    // parameters: R·(Cout + kh·kw + Cin) + bias
    expect(spec.params).toBe(R * (COUT + K * K + CIN) + COUT);
    expect(layer.countParams()).toBe(spec.params);
    // auto picks the cheaper one: here the factorized forward
    const auto = buildConv(convSetup(c, 1, 'auto').spec, [1, HW, HW, CIN]);
    expect(want).toBeLessThan(layer.denseFlops());
    expect(auto.forwardMode).toBe('factorized');
  });
});

describe('CPDense', () => {
  it.each([
    { outModes: [10], inModes: [12], batch: 1 },
    { outModes: [5, 2], inModes: [4, 3], batch: 7 },
  ])('equals x·W + b with the reconstructed kernel (%o)', ({ outModes, inModes, batch }) => {
    const rng = new Rng(3);
    const kernel = tensor([12, 10], rng.normalArray(120));
    const bias = tensor([10], rng.normalArray(10));
    const layerInfo: DenseLayerInfo = {
      name: 'fc',
      kind: 'dense',
      config: { activation: 'relu', useBias: true },
      inputShape: [12],
      outputShape: [10],
      kernel,
      bias,
    };
    const target = resolveLayerTarget('fc', { format: 'cp', outModes, inModes, ranks: [3], options: { forwardMode: 'factorized' } }, 'dense', [12, 10]);
    const factors = cpAls(tensorize(kernel, target.layout), target.ranks);
    const spec = cpLayerFromFactors(layerInfo, factors, target);
    expect(spec.flops).toBe(12 * 3 + 3 * 10);
    const l = new CPDense(spec.config as unknown as ConstructorParameters<typeof CPDense>[0]);
    l.build([batch, 12]);
    l.setWeights(spec.weights.map(toTf));
    const x = tf.randomNormal([batch, 12], 0, 1, 'float32', 5);
    const approx = toTf(detensorize(reconstructCp(factors), target.layout));
    const want = tf.relu(tf.add(tf.matMul(x, approx as tf.Tensor2D), toTf(bias)));
    const got = l.apply(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!).toBeLessThanOrEqual(1e-4);
  });
});

describe('training', () => {
  it('one SGD step changes every core of CPConv2D (factorized forward) and CPDense', async () => {
    const conv = new CPConv2D({
      units: 5,
      inputChannels: 3,
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
      rank: 4,
      outModes: [5],
      inModes: [3],
      mode: 'factorized',
      inputShape: [6, 6, 3],
    });
    const model = tfl.sequential({
      layers: [conv, tfl.layers.flatten(), new CPDense({ units: 4, inputChannels: 45, rank: 3, outModes: [2, 2], inModes: [9, 5], mode: 'factorized' })],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const names = model.weights.map((w) => w.name);
    expect(names.length).toBe(3 + 1 + 4 + 1); // conv: out_0, spatial, in_0, bias; dense: out_0, out_1, in_0, in_1, bias
    // (stride 2 here; TF.js has no gradients for dilation > 1, for its own Conv2D neither)
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1);
    const y = tf.randomNormal([2, 4], 0, 1, 'float32', 2);
    await model.trainOnBatch(x, y);
    const after = model.getWeights().map((w) => w.dataSync());
    names.forEach((n, i) => {
      let change = 0;
      for (let j = 0; j < after[i]!.length; j++) change = Math.max(change, Math.abs(after[i]![j]! - before[i]![j]!));
      expect(change, `weight ${n}`).toBeGreaterThan(1e-6);
    });
  });
});

describe('layer errors', () => {
  it('bad ranks and mode splits say so', () => {
    const base = { units: 8, inputChannels: 6, kernelSize: [3, 3] as [number, number] };
    expect(codeOf(() => new CPConv2D({ ...base, rank: 0 }))).toBe('TS_RANK');
    expect(codeOf(() => new CPConv2D({ ...base, rank: 2.5 }))).toBe('TS_RANK');
    expect(codeOf(() => new CPConv2D({ ...base, rank: 2, outModes: [3, 2] }))).toBe('TS_FACTOR');
    expect(() => new CPConv2D({ ...base, rank: 2, inModes: [4] })).toThrow(
      /inModes \[4\] must be positive integers multiplying to the layer's 6 input channels/,
    );
    expect(codeOf(() => new CPDense({ units: 4, inputChannels: 6, rank: -1 }))).toBe('TS_RANK');
  });
  it('fromFactors rejects factors of another layout', () => {
    const { layer, factors } = convSetup(cases[0]!, 1, 'auto');
    const other = resolveLayerTarget('conv', { format: 'cp', outModes: [4, 2], inModes: [CIN], ranks: [R] }, 'conv2d', [K, K, CIN, COUT]);
    expect(codeOf(() => cpLayerFromFactors(layer, factors, other))).toBe('TS_SHAPE');
    expect(codeOf(() => cpLayerFromFactors(layer, { ...factors, format: 'tucker' }, convSetup(cases[0]!, 1, 'auto').target))).toBe('TS_SHAPE');
  });
});
