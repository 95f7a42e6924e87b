import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { detensorize, resolveLayerTarget, tensorize, type DenseLayerInfo, type TensorLayout } from '@tensorslim/core';
import { Rng, type DenseTensor } from '@tensorslim/linalg';
import { TRConv2D, TRDense, trDecompose, trLayers, trReconstruct, trReconstructCores } from '../src/index.js';

const trFromFactors = trLayers.fromFactors;
import { randomCores, thrown } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const toTf = (t: DenseTensor): tf.Tensor => tf.tensor(Array.from(t.data), [...t.shape], 'float32');

/** Cores scaled so the kernel entries are O(1/√(fan-in)). */
function scaledCores(seed: number, modes: number[], ranks: number[], scale: number): DenseTensor[] {
  const cores = randomCores(new Rng(seed), modes, ranks);
  const f = Math.pow(scale, 1 / modes.length);
  return cores.map((c) => ({ shape: c.shape, data: c.data.map((v) => v * f) }));
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): { diff: number; scale: number } {
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
  const scale = tf.max(tf.abs(b)).dataSync()[0]!;
  return { diff, scale };
}

const convLayout = (kh: number, kw: number, cin: number, cout: number, outModes: number[], inModes: number[]): TensorLayout => ({
  kind: 'conv2d',
  kernelShape: [kh, kw, cin, cout],
  outModes,
  inModes,
});

describe('TRConv2D equals the dense convolution with the reconstructed kernel', () => {
  const outModes = [2, 3];
  const inModes = [2, 2];
  const ranks = [2, 3, 2, 2, 3]; // r0 = 2: the ring-closing rank runs through the middle conv
  const layout = convLayout(3, 3, 4, 6, outModes, inModes);
  const cores = scaledCores(1, [2, 3, 9, 2, 2], ranks, 0.05);
  const bias = new Rng(2).normalArray(6);
  const kernel = detensorize(trReconstructCores(cores), layout);

  const geoms: { strides: [number, number]; padding: 'same' | 'valid'; dilationRate: [number, number] }[] = [
    { strides: [1, 1], padding: 'same', dilationRate: [1, 1] },
    { strides: [1, 1], padding: 'valid', dilationRate: [1, 1] },
    { strides: [2, 2], padding: 'same', dilationRate: [1, 1] },
    { strides: [2, 2], padding: 'valid', dilationRate: [1, 1] },
    { strides: [1, 1], padding: 'same', dilationRate: [2, 2] },
    { strides: [1, 1], padding: 'valid', dilationRate: [2, 2] },
  ];
  for (const g of geoms)
    for (const batch of [1, 7])
      for (const mode of ['factorized', 'reconstructed'] as const) {
        it(`stride ${g.strides[0]}, ${g.padding}, dilation ${g.dilationRate[0]}, batch ${batch}, ${mode}`, () => {
          const layer = new TRConv2D({
            units: 6,
            inputChannels: 4,
            kernelSize: [3, 3],
            ...g,
            outModes,
            inModes,
            ranks,
            mode,
            activation: 'linear',
          });
          const x = tf.randomNormal([batch, 9, 8, 4], 0, 1, 'float32', 3);
          layer.apply(x);
          layer.setWeights([...cores.map(toTf), tf.tensor1d(Array.from(bias))]);
          expect(layer.forwardMode).toBe(mode);
          const y = layer.apply(x) as tf.Tensor;
          const ref = tf.add(
            tf.conv2d(x as tf.Tensor4D, toTf(kernel) as tf.Tensor4D, g.strides, g.padding, 'NHWC', g.dilationRate),
            tf.tensor1d(Array.from(bias)),
          );
          expect(y.shape).toEqual(ref.shape);
          const { diff, scale } = maxAbsDiff(y, ref);
          expect(scale).toBeGreaterThan(0.1);
          expect(diff).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
          // the layer's own reconstruction is the same kernel
          const k = layer.reconstructKernel();
          expect(maxAbsDiff(k, toTf(kernel)).diff).toBeLessThan(1e-5);
        });
      }

  it('counts FLOPs of the folded ring honestly and picks the mode by them', () => {
    const layer = new TRConv2D({ units: 6, inputChannels: 4, kernelSize: [3, 3], padding: 'same', outModes, inModes, ranks });
    layer.apply(tf.zeros([1, 8, 8, 4]));
    // m = 2: r0 = 2, r_m = 2, r_(m+1) = 2. Input map 64·4·(2·2), r0 convs 64·9·2·2·2, output map 64·(2·2)·6
    expect(layer.factorizedFlops()).toBe(64 * 4 * 4 + 64 * 9 * 2 * 2 * 2 + 64 * 4 * 6);
    // the block-diagonal dense middle would cost r0 times more in the conv stage
    expect(layer.factorizedFlops()).toBeLessThan(64 * 4 * 4 + 64 * 9 * 4 * 4 + 64 * 4 * 6);
    expect(layer.denseFlops()).toBe(64 * 9 * 4 * 6);
    expect(layer.forwardMode).toBe(layer.factorizedFlops() <= layer.denseFlops() ? 'factorized' : 'reconstructed');
  });
});

describe('TRDense equals the dense layer with the reconstructed kernel', () => {
  const outModes = [3, 2];
  const inModes = [2, 5];
  const ranks = [2, 2, 3, 2];
  const layout: TensorLayout = { kind: 'dense', kernelShape: [10, 6], outModes, inModes };
  const cores = scaledCores(4, [3, 2, 2, 5], ranks, 0.3);
  const kernel = detensorize(trReconstructCores(cores), layout);
  for (const batch of [1, 7])
    for (const mode of ['factorized', 'reconstructed'] as const) {
      it(`batch ${batch}, ${mode}`, () => {
        const layer = new TRDense({ units: 6, inputChannels: 10, outModes, inModes, ranks, mode, useBias: false, activation: 'relu' });
        const x = tf.randomNormal([batch, 10], 0, 1, 'float32', 5);
        layer.apply(x);
        layer.setWeights(cores.map(toTf));
        const y = layer.apply(x) as tf.Tensor;
        const ref = tf.relu(tf.matMul(x as tf.Tensor2D, toTf(kernel) as tf.Tensor2D));
        const { diff, scale } = maxAbsDiff(y, ref);
        expect(scale).toBeGreaterThan(0.1);
        expect(diff).toBeLessThanOrEqual(1e-4 * Math.max(1, scale));
      });
    }
  it('on a 3-D input (time steps) and its FLOPs', () => {
    const layer = new TRDense({ units: 6, inputChannels: 10, outModes, inModes, ranks, mode: 'factorized' });
    const x = tf.randomNormal([2, 3, 10], 0, 1, 'float32', 6);
    layer.apply(x);
    layer.setWeights([...cores.map(toTf), tf.zeros([6])]);
    const y = layer.apply(x) as tf.Tensor;
    const ref = tf.reshape(tf.matMul(tf.reshape(x, [6, 10]) as tf.Tensor2D, toTf(kernel) as tf.Tensor2D), [2, 3, 6]);
    expect(maxAbsDiff(y, ref).diff).toBeLessThan(1e-4);
    expect(layer.factorizedFlops()).toBe((10 + 6) * 2 * 3); // r0 = 2, r_m = ranks[2] = 3
  });
});

describe('gradients reach every core', () => {
  it('TRConv2D (factorized and reconstructed) and TRDense', () => {
    const conv = (mode: 'factorized' | 'reconstructed') =>
      new TRConv2D({ units: 6, inputChannels: 4, kernelSize: [3, 3], padding: 'same', outModes: [2, 3], inModes: [4], ranks: [2, 2, 3, 2], mode });
    for (const layer of [
      conv('factorized'),
      conv('reconstructed'),
      new TRDense({ units: 6, inputChannels: 10, outModes: [6], inModes: [2, 5], ranks: [2, 3, 2] }),
    ]) {
      const x = layer instanceof TRDense ? tf.randomNormal([3, 10], 0, 1, 'float32', 7) : tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 7);
      layer.apply(x);
      const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
      expect(vars.length).toBe((layer as TRDense).ranks.length + 1);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)) as tf.Scalar, vars);
      for (const v of vars) {
        const g = grads[v.name]!;
        expect(g.shape).toEqual(v.shape);
        expect(tf.max(tf.abs(g)).dataSync()[0]!).toBeGreaterThan(0);
      }
    }
  });
});

describe('save → load round trip', () => {
  it('model.toJSON + weights → modelFromJSON (classes registered at import) gives identical outputs', async () => {
    const model = tfl.sequential();
    model.add(
      new TRConv2D({
        units: 6,
        inputChannels: 4,
        kernelSize: [3, 3],
        strides: [2, 2],
        padding: 'same',
        outModes: [3, 2],
        inModes: [2, 2],
        ranks: [2, 2, 2, 3, 2],
        activation: 'relu',
        inputShape: [8, 8, 4],
        mode: 'factorized',
        name: 'trc',
      }),
    );
    model.add(tfl.layers.flatten());
    model.add(new TRDense({ units: 5, inputChannels: 96, outModes: [5], inModes: [8, 12], ranks: [2, 3, 2], name: 'trd' }));
    const json = model.toJSON(null, false) as Record<string, unknown>;
    const text = JSON.stringify(json);
    expect(text).toContain('TRConv2D');
    expect(text).toContain('TRDense');
    const loaded = await tfl.models.modelFromJSON({ modelTopology: JSON.parse(text) });
    loaded.setWeights(model.getWeights());
    const x = tf.randomNormal([3, 8, 8, 4], 0, 1, 'float32', 8);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    const l = loaded.getLayer('trc') as TRConv2D;
    expect(l).toBeInstanceOf(TRConv2D);
    expect(l.ranks).toEqual([2, 2, 2, 3, 2]);
    expect(l.strides).toEqual([2, 2]);
    expect(l.forwardMode).toBe('factorized');
  });
});

describe('fromFactors: a TR layer from a trained dense layer and a plan', () => {
  it('conv2d: config, weights (cores then bias), params and flops; output equals the projected kernel', () => {
    const dense = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu', inputShape: [6, 6, 6], name: 'c1' });
    const m = tfl.sequential({ layers: [dense] });
    const [k, b] = dense.getWeights();
    const kernel: DenseTensor = { shape: k!.shape, data: Float64Array.from(k!.dataSync()) };
    const bias: DenseTensor = { shape: b!.shape, data: Float64Array.from(tf.randomNormal([8], 0, 0.1, 'float32', 9).dataSync()) };
    const target = resolveLayerTarget('c1', { format: 'tr', outModes: [4, 2], inModes: [2, 3], ranks: [2, 2, 3, 3, 2] }, 'conv2d', kernel.shape);
    const factors = trDecompose(tensorize(kernel, target.layout), target.ranks);
    const info: DenseLayerInfo = {
      name: 'c1',
      kind: 'conv2d',
      config: dense.getConfig() as Record<string, unknown>,
      inputShape: [6, 6, 6],
      outputShape: [6, 6, 8],
      kernel,
      bias,
    };
    const spec = trFromFactors(info, factors, { ...target, options: { mode: 'factorized' } });
    expect(spec.className).toBe('TRConv2D');
    expect(spec.weights.length).toBe(6);
    const coreParams = factors.cores.reduce((s, c) => s + c.data.length, 0);
    expect(spec.params).toBe(coreParams + 8);
    const layer = new TRConv2D(spec.config as never);
    const x = tf.randomNormal([2, 6, 6, 6], 0, 1, 'float32', 10);
    layer.apply(x);
    layer.setWeights(spec.weights.map(toTf));
    expect(spec.flops).toBe(layer.factorizedFlops());
    const projected = detensorize(trReconstruct(factors), target.layout);
    const ref = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, toTf(projected) as tf.Tensor4D, 1, 'same'), toTf(bias)));
    const y = layer.apply(x) as tf.Tensor;
    expect(maxAbsDiff(y, ref).diff).toBeLessThan(1e-4);
    void m;
  });

  it('dense, and a layout that does not match the factors', () => {
    const kernel: DenseTensor = { shape: [12, 6], data: new Rng(3).normalArray(72) };
    const target = resolveLayerTarget('d1', { format: 'tr', outModes: [6], inModes: [3, 4], ranks: [2, 2, 2] }, 'dense', [12, 6]);
    const factors = trDecompose(tensorize(kernel, target.layout), target.ranks);
    const info: DenseLayerInfo = { name: 'd1', kind: 'dense', config: { useBias: false, activation: 'linear' }, inputShape: [12], outputShape: [6], kernel };
    const spec = trFromFactors(info, factors, target);
    expect(spec.className).toBe('TRDense');
    expect(spec.weights.length).toBe(3);
    expect(spec.flops).toBe(Math.min((12 + 6) * 2 * 2, 72));
    const other = resolveLayerTarget('d1', { format: 'tr', outModes: [2, 3], inModes: [12], ranks: [2, 2, 2] }, 'dense', [12, 6]);
    expect(thrown(() => trFromFactors(info, factors, other)).code).toBe('TS_SHAPE');
  });
});

describe('bad layer input', () => {
  it('modes that do not factor the channels, wrong ranks length, bad ranks', () => {
    const base = { units: 6, inputChannels: 4, kernelSize: [3, 3] as [number, number] };
    expect(thrown(() => new TRConv2D({ ...base, outModes: [4, 2], inModes: [4], ranks: [2, 2, 2, 2] })).code).toBe('TS_FACTOR');
    expect(thrown(() => new TRConv2D({ ...base, outModes: [6], inModes: [3], ranks: [2, 2, 2] })).code).toBe('TS_FACTOR');
    expect(thrown(() => new TRConv2D({ ...base, outModes: [6], inModes: [4], ranks: [2, 2] })).code).toBe('TS_RANK');
    expect(thrown(() => new TRDense({ units: 6, inputChannels: 4, outModes: [6], inModes: [4], ranks: [2, 0] })).code).toBe('TS_RANK');
  });
});
