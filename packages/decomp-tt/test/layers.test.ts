import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  decomposeKernel,
  denseLayerInfo,
  detensorize,
  factorizeLayer,
  instantiateLayer as instantiateTtLayer,
  isTensorslimError,
  layoutModes,
  type LayerPlan,
  type LayerTarget,
  type TensorLayout,
} from '@tensorslim/core';
import { Rng, type DenseTensor } from '@tensorslim/linalg';
import { ttPlugin as plugin, ttDecomposition, TTConv2D, TTDense, ttProjector, ttReconstruct } from '../src/index.js';
import { maxAbsDiff, randomTt } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const projectTt = ttProjector.project;
const ttDecomposeKernel = (w: DenseTensor, t: LayerTarget) => decomposeKernel(ttDecomposition, w, t);
const ttLayerFromLayer = (l: tfl.layers.Layer, e: LayerPlan) => factorizeLayer(l, e, { plugin });
const f32 = (d: Float64Array, shape: readonly number[]): tf.Tensor => tf.tensor(Float32Array.from(d), [...shape], 'float32');

/** Sets random TT cores (scaled to unit-ish kernel entries) and a random bias on a built layer. */
function setRandomWeights(layer: TTConv2D | TTDense, seed: number): { kernel: tf.Tensor; bias: tf.Tensor } {
  const ff = randomTt(layoutModes(layer.layout), layer.ranks, seed);
  const scale = ff.cores.map((c) => 1 / Math.sqrt(c.shape[0]! * c.shape[2]!));
  const cores = ff.cores.map((c, k) => ({ shape: c.shape, data: c.data.map((v) => v * scale[k]!) }));
  const rng = new Rng(seed + 1);
  const bias = f32(rng.normalArray(layer.units), [layer.units]);
  layer.setWeights([...cores.map((c) => f32(c.data, c.shape)), bias]);
  // independent float64 reconstruction through core's layout (not through the layer's maps)
  const layout: TensorLayout =
    layer instanceof TTConv2D
      ? { kind: 'conv2d', kernelShape: [...layer.kernelSize, layer.inputChannels, layer.units], outModes: layer.outModes, inModes: layer.inModes }
      : { kind: 'dense', kernelShape: [layer.inputChannels, layer.units], outModes: layer.outModes, inModes: layer.inModes };
  const k = detensorize(ttReconstruct({ format: 'tt', shape: layoutModes(layer.layout), ranks: layer.ranks, cores }), layout);
  return { kernel: f32(k.data, k.shape), bias };
}

describe('TTConv2D equals conv2d with the reconstructed kernel', () => {
  const geoms = [
    { strides: [1, 1], padding: 'same', dilationRate: [1, 1] },
    { strides: [1, 1], padding: 'valid', dilationRate: [1, 1] },
    { strides: [2, 2], padding: 'same', dilationRate: [1, 1] },
    { strides: [2, 2], padding: 'valid', dilationRate: [1, 1] },
    { strides: [1, 1], padding: 'same', dilationRate: [2, 2] },
    { strides: [1, 1], padding: 'valid', dilationRate: [2, 2] },
  ] as const;
  for (const g of geoms) {
    for (const batch of [1, 7]) {
      for (const mode of ['factorized', 'reconstructed'] as const) {
        it(`stride ${g.strides[0]} ${g.padding} dilation ${g.dilationRate[0]} batch ${batch} ${mode}`, () => {
          const layer = new TTConv2D({
            units: 8,
            inputChannels: 6,
            kernelSize: [3, 3],
            strides: [...g.strides],
            padding: g.padding,
            dilationRate: [...g.dilationRate],
            outModes: [4, 2],
            inModes: [2, 3],
            ranks: [1, 3, 5, 4, 2, 1],
            mode,
            activation: 'linear',
          });
          layer.build([null, 11, 10, 6]);
          expect(layer.forwardMode).toBe(mode);
          const { kernel, bias } = setRandomWeights(layer, 10 + batch);
          const x = tf.randomNormal([batch, 11, 10, 6], 0, 1, 'float32', 3);
          const y = layer.apply(x) as tf.Tensor;
          const ref = tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, [...g.strides], g.padding, 'NHWC', [...g.dilationRate]), bias);
          expect(y.shape).toEqual(ref.shape);
          expect(y.shape).toEqual(layer.computeOutputShape([batch, 11, 10, 6]));
          expect(maxAbsDiff(y.dataSync(), ref.dataSync())).toBeLessThanOrEqual(1e-4);
          // the layer's own reconstructed kernel agrees with the float64 one
          expect(maxAbsDiff(layer.reconstructKernel().dataSync(), kernel.dataSync())).toBeLessThanOrEqual(1e-5);
          tf.dispose([x, y, ref, kernel, bias]);
        });
      }
    }
  }
  it('relu activation and a 1×1 output map of one output mode', () => {
    const layer = new TTConv2D({
      units: 5,
      inputChannels: 4,
      kernelSize: [3, 1],
      padding: 'same',
      outModes: [5],
      inModes: [2, 2],
      ranks: [1, 5, 3, 2, 1],
      activation: 'relu',
      mode: 'factorized',
    });
    layer.build([null, 6, 6, 4]);
    const { kernel, bias } = setRandomWeights(layer, 4);
    const x = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 4);
    const ref = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'same'), bias));
    expect(maxAbsDiff((layer.apply(x) as tf.Tensor).dataSync(), ref.dataSync())).toBeLessThanOrEqual(1e-4);
  });
});

describe('TTDense equals matMul with the reconstructed kernel', () => {
  for (const mode of ['factorized', 'reconstructed'] as const) {
    for (const shape of [
      [1, 12],
      [7, 12],
      [3, 4, 12],
    ]) {
      it(`${mode} on input [${shape}]`, () => {
        const layer = new TTDense({ units: 10, inputChannels: 12, outModes: [5, 2], inModes: [3, 4], ranks: [1, 3, 4, 2, 1], mode });
        layer.build([null, 12]);
        const { kernel, bias } = setRandomWeights(layer, 20);
        const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
        const y = layer.apply(x) as tf.Tensor;
        const ref = tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, 12]), kernel as tf.Tensor2D), [...shape.slice(0, -1), 10]), bias);
        expect(y.shape).toEqual(ref.shape);
        expect(maxAbsDiff(y.dataSync(), ref.dataSync())).toBeLessThanOrEqual(1e-4);
      });
    }
  }
});

describe('training, forward mode, counts', () => {
  it('a training step changes every core (conv and dense)', () => {
    const conv = new TTConv2D({
      units: 8,
      inputChannels: 6,
      kernelSize: [3, 3],
      padding: 'same',
      outModes: [4, 2],
      inModes: [2, 3],
      ranks: [1, 3, 5, 4, 2, 1],
      mode: 'factorized',
    });
    const dense = new TTDense({ units: 10, inputChannels: 8 * 5 * 5, outModes: [5, 2], inModes: [8, 5, 5], ranks: [1, 2, 3, 4, 3, 1], mode: 'factorized' });
    const x = tf.randomNormal([4, 5, 5, 6], 0, 1, 'float32', 1);
    const target = tf.randomNormal([4, 10], 0, 1, 'float32', 2);
    const forward = (): tf.Scalar => {
      const h = conv.apply(x) as tf.Tensor;
      const y = dense.apply(tf.reshape(h, [4, -1])) as tf.Tensor;
      return tf.mean(tf.square(tf.sub(y, target)));
    };
    forward();
    const before = [...conv.getWeights(), ...dense.getWeights()].map((w) => w.dataSync().slice());
    const opt = tf.train.sgd(0.1);
    const loss0 = forward().dataSync()[0]!;
    opt.minimize(forward);
    const after = [...conv.getWeights(), ...dense.getWeights()].map((w) => w.dataSync());
    const names = [...conv.weights, ...dense.weights].map((w) => w.name);
    expect(names.filter((n) => /core_/.test(n)).length).toBe(5 + 5);
    before.forEach((b, i) => expect(maxAbsDiff(b, after[i]!), names[i]).toBeGreaterThan(0));
    expect(forward().dataSync()[0]!).toBeLessThan(loss0);
  });
  it('auto picks the cheaper forward by multiply-adds', () => {
    const low = new TTConv2D({
      units: 64,
      inputChannels: 64,
      kernelSize: [3, 3],
      padding: 'same',
      outModes: [8, 8],
      inModes: [8, 8],
      ranks: [1, 4, 4, 4, 4, 1],
    });
    low.build([null, 16, 16, 64]);
    expect(low.factorizedFlops()).toBeLessThan(low.denseFlops());
    expect(low.forwardMode).toBe('factorized');
    const full = new TTConv2D({ units: 4, inputChannels: 4, kernelSize: [3, 3], padding: 'same', outModes: [4], inModes: [4], ranks: [1, 4, 4, 1] });
    full.build([null, 8, 8, 4]);
    expect(full.factorizedFlops()).toBeGreaterThan(full.denseFlops());
    expect(full.forwardMode).toBe('reconstructed');
    // factorized multiply-adds: 256 px·64·4 (in) + 256·9·4·4 (3×3) + 256·4·64 (out)
    expect(low.factorizedFlops()).toBe(256 * 64 * 4 + 256 * 9 * 16 + 256 * 4 * 64);
    expect(ttDecomposition.paramCount(layoutModes(low.layout), low.ranks)).toBe(8 * 4 + 4 * 8 * 4 + 4 * 9 * 4 + 4 * 8 * 4 + 4 * 8);
    expect(low.countParams()).toBe(ttDecomposition.paramCount(layoutModes(low.layout), low.ranks) + 64);
  });
  it('bad construction: modes that do not factor the channels, ranks of the wrong length', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(isTensorslimError(e)).toBe(true);
        return (e as { code: string }).code;
      }
      return 'none';
    };
    expect(code(() => new TTConv2D({ units: 8, inputChannels: 6, kernelSize: [3, 3], outModes: [3, 3], inModes: [2, 3], ranks: [1, 2, 2, 2, 2, 1] }))).toBe(
      'TS_FACTOR',
    );
    expect(code(() => new TTDense({ units: 10, inputChannels: 12, outModes: [5, 2], inModes: [3, 4], ranks: [1, 2, 2, 1] }))).toBe('TS_RANK');
  });
});

describe('construction from an existing layer', () => {
  it('fromFactors builds the spec from a Conv2D and its TT-SVD; full ranks reproduce the conv', () => {
    const conv = tfl.layers.conv2d({
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      name: 'c1',
      kernelInitializer: 'glorotNormal',
      biasInitializer: 'randomNormal',
    });
    const input = tfl.input({ shape: [9, 9, 6] });
    conv.apply(input);
    const info = denseLayerInfo(conv);
    expect(info.inputShape).toEqual([9, 9, 6]);
    expect(info.outputShape).toEqual([5, 5, 8]);
    const entry = { format: 'tt', outModes: [4, 2], inModes: [2, 3], ranks: { maxRank: 1000 }, options: { mode: 'factorized' } };
    const layer = ttLayerFromLayer(conv, entry);
    expect(layer).toBeInstanceOf(TTConv2D);
    const x = tf.randomNormal([2, 9, 9, 6], 0, 1, 'float32', 9);
    const ref = conv.apply(x) as tf.Tensor;
    expect(maxAbsDiff((layer.apply(x) as tf.Tensor).dataSync(), ref.dataSync())).toBeLessThanOrEqual(1e-4);
    const cfg = layer.getConfig();
    expect(cfg).toMatchObject({
      name: 'c1',
      activation: 'relu',
      useBias: true,
      strides: [2, 2],
      padding: 'same',
      dilationRate: [1, 1],
      kernelSize: [3, 3],
      units: 8,
      inputChannels: 6,
      mode: 'factorized',
    });

    // truncated ranks: the spec's weights are cores then bias; the layer computes conv with the projected kernel
    const target = {
      name: 'c1',
      format: 'tt',
      layout: { kind: 'conv2d' as const, kernelShape: [3, 3, 6, 8], outModes: [4, 2], inModes: [2, 3] },
      ranks: { ranks: [1, 2, 3, 3, 2, 1] },
      options: {},
    };
    const factors = ttDecomposeKernel(info.kernel, target);
    const spec = plugin.layers!.fromFactors(info, factors, target);
    expect(spec.className).toBe('TTConv2D');
    expect(spec.weights.length).toBe(6);
    expect(spec.weights.slice(0, 5).map((w) => w.shape)).toEqual(factors.cores.map((c) => c.shape));
    expect(spec.weights[5]!.data).toEqual(info.bias!.data);
    expect(spec.params).toBe(factors.cores.reduce((a, c) => a + c.data.length, 0) + 8);
    const fact = 81 * 6 * 3 + 25 * 9 * 3 * 3 + 25 * 3 * 8;
    expect(spec.flops).toBe(Math.min(fact, 25 * 9 * 6 * 8));
    const tt = instantiateTtLayer(spec, [9, 9, 6]);
    const zk = projectTt(info.kernel, target);
    const refZ = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, f32(zk.data, zk.shape) as tf.Tensor4D, 2, 'same'), f32(info.bias!.data, [8])));
    expect(maxAbsDiff((tt.apply(x) as tf.Tensor).dataSync(), refZ.dataSync())).toBeLessThanOrEqual(1e-4);
  });
  it('fromFactors from a Dense layer without bias', () => {
    const d = tfl.layers.dense({ units: 10, useBias: false, name: 'fc', kernelInitializer: 'glorotNormal' });
    d.apply(tfl.input({ shape: [12] }));
    const layer = ttLayerFromLayer(d, { format: 'tt', outModes: [5, 2], inModes: [3, 4], ranks: [1, 5, 10, 4, 1] });
    expect(layer).toBeInstanceOf(TTDense);
    expect(layer.weights.length).toBe(4);
    const x = tf.randomNormal([3, 12], 0, 1, 'float32', 1);
    expect(maxAbsDiff((layer.apply(x) as tf.Tensor).dataSync(), (d.apply(x) as tf.Tensor).dataSync())).toBeLessThanOrEqual(1e-4);
    expect(() => ttLayerFromLayer(d, { format: 'tt', outModes: [5, 2], inModes: [3, 4], ranks: [1, 5, 1] })).toThrow(/needs d\+1 = 5/);
    expect(() => ttLayerFromLayer(d, { format: 'tt', outModes: [5, 2], inModes: [3, 5], ranks: { maxRank: 2 } })).toThrow(/inModes \[3, 5\] multiply to 15/);
  });
});
