import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  createRegistry,
  decomposeLayer,
  detensorize,
  listPlugins,
  resolveLayerTarget,
  resolvePlugin,
  tensorize,
  type DenseLayerInfo,
  type FactorizedLayerSpec,
  type LayerTarget,
} from '@tensorslim/core';
import { factorizeModel } from '@tensorslim/surgery';
import { Rng, tensor, type DenseTensor } from '@tensorslim/linalg';
import {
  tuckerPlugin as plugin,
  tuckerReconstruct as reconstructTucker,
  registerTucker as register,
  tucker,
  Tucker2Conv2D,
  TuckerDense,
  tuckerLayers,
} from '../src/index.js';

const tuckerLayerFromFactors = tuckerLayers.fromFactors;
const tuckerLayerFromDense = (layer: DenseLayerInfo, target: LayerTarget) => decomposeLayer(plugin, layer, target).spec;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const toTf = (t: DenseTensor) => tf.tensor(Array.from(t.data), [...t.shape], 'float32');

function outSize(n: number, k: number, s: number, d: number, padding: 'same' | 'valid'): number {
  const ke = (k - 1) * d + 1;
  return padding === 'same' ? Math.ceil(n / s) : Math.ceil((n - ke + 1) / s);
}

interface ConvCase {
  cin: number;
  cout: number;
  k: number;
  hw: number;
  strides: number;
  padding: 'same' | 'valid';
  dilation: number;
  outModes?: number[];
  inModes?: number[];
  ranks: number[];
  modes?: number[];
}

function convSetup(c: ConvCase, seed: number, forwardMode: string) {
  const rng = new Rng(seed);
  const kernel = tensor(
    [c.k, c.k, c.cin, c.cout],
    rng.normalArray(c.k * c.k * c.cin * c.cout).map((v) => 0.3 * v),
  );
  const bias = tensor(
    [c.cout],
    rng.normalArray(c.cout).map((v) => 0.1 * v),
  );
  const ho = outSize(c.hw, c.k, c.strides, c.dilation, c.padding);
  const layer: DenseLayerInfo = {
    name: 'conv',
    kind: 'conv2d',
    config: { strides: [c.strides, c.strides], padding: c.padding, dilationRate: [c.dilation, c.dilation], activation: 'linear', useBias: true },
    inputShape: [c.hw, c.hw, c.cin],
    outputShape: [ho, ho, c.cout],
    kernel,
    bias,
  };
  const target = resolveLayerTarget(
    'conv',
    {
      format: 'tucker',
      outModes: c.outModes ?? [c.cout],
      inModes: c.inModes ?? [c.cin],
      ranks: c.ranks,
      options: { forwardMode, ...(c.modes ? { modes: c.modes } : {}) },
    },
    'conv2d',
    kernel.shape,
  );
  const factors = tucker(tensorize(kernel, target.layout), target.ranks, { ...target.options, layout: target.layout });
  return { layer, target, factors, bias };
}

function instantiate(spec: FactorizedLayerSpec, input: tf.Tensor) {
  const l = spec.className === Tucker2Conv2D.className ? new Tucker2Conv2D(spec.config as never) : new TuckerDense(spec.config as never);
  l.apply(input); // builds
  l.setWeights(spec.weights.map(toTf));
  return l;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('Tucker2Conv2D equals the dense convolution of its reconstructed kernel', () => {
  const geoms: [number, 'same' | 'valid', number][] = [
    [1, 'same', 1],
    [1, 'valid', 1],
    [2, 'same', 1],
    [2, 'valid', 1],
    [1, 'same', 2],
    [1, 'valid', 2],
  ];
  for (const [strides, padding, dilation] of geoms) {
    for (const batch of [1, 7]) {
      for (const mode of ['factorized', 'reconstructed'] as const) {
        it(`stride ${strides}, ${padding}, dilation ${dilation}, batch ${batch}, ${mode}`, () => {
          const c: ConvCase = { cin: 6, cout: 8, k: 3, hw: 9, strides, padding, dilation, ranks: [5, 4], modes: [0, 2] };
          const { layer, target, factors, bias } = convSetup(c, strides * 10 + dilation + batch, mode);
          const spec = tuckerLayerFromFactors(layer, factors, target);
          const x = tf.randomNormal([batch, c.hw, c.hw, c.cin], 0, 1, 'float32', 5);
          const l = instantiate(spec, x);
          expect((l as Tucker2Conv2D).forwardMode).toBe(mode);
          const y = l.apply(x) as tf.Tensor;
          const kernel = toTf(detensorize(reconstructTucker(factors), target.layout)) as tf.Tensor4D;
          const ref = tf.add(tf.conv2d(x as tf.Tensor4D, kernel, strides, padding, 'NHWC', dilation), toTf(bias));
          expect(y.shape).toEqual(ref.shape);
          expect(maxAbsDiff(y, ref)).toBeLessThan(1e-4);
        });
      }
    }
  }

  it('several out/in modes (Kronecker maps), and the spatial mode decomposed too', () => {
    for (const modes of [
      [0, 1, 3, 4],
      [0, 1, 2, 3, 4],
      [1, 3],
    ]) {
      const c: ConvCase = {
        cin: 6,
        cout: 8,
        k: 3,
        hw: 7,
        strides: 1,
        padding: 'same',
        dilation: 1,
        outModes: [4, 2],
        inModes: [3, 2],
        ranks: modes.map((m) => [3, 2, 5, 2, 2][m]!),
        modes,
      };
      const { layer, target, factors, bias } = convSetup(c, 77, 'factorized');
      const spec = tuckerLayerFromFactors(layer, factors, target);
      const x = tf.randomNormal([2, c.hw, c.hw, c.cin], 0, 1, 'float32', 6);
      const l = instantiate(spec, x);
      const kernel = toTf(detensorize(reconstructTucker(factors), target.layout)) as tf.Tensor4D;
      const ref = tf.add(tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same'), toTf(bias));
      expect(maxAbsDiff(l.apply(x) as tf.Tensor, ref)).toBeLessThan(1e-4);
      expect(maxAbsDiff((l as Tucker2Conv2D).reconstructKernel(), kernel)).toBeLessThan(1e-5);
    }
  });

  it('the spec counts parameters and FLOPs, and auto picks the cheaper forward', () => {
    const c: ConvCase = { cin: 16, cout: 16, k: 3, hw: 8, strides: 1, padding: 'same', dilation: 1, ranks: [4, 4] };
    const { layer, target } = convSetup(c, 3, 'auto');
    const spec = tuckerLayerFromDense(layer, target);
    expect(spec.params).toBe(4 * 9 * 4 + 16 * 4 + 16 * 4 + 16);
    // factorized: 64·16·4 + 64·9·4·4 + 64·4·16 = 17408 < dense 64·9·16·16 = 147456
    expect(spec.flops).toBe(64 * 16 * 4 + 64 * 9 * 16 + 64 * 4 * 16);
    const l = instantiate(spec, tf.zeros([1, 8, 8, 16]));
    expect((l as Tucker2Conv2D).forwardMode).toBe('factorized');
    const big = convSetup({ ...c, ranks: [16, 16] }, 3, 'auto');
    const s2 = tuckerLayerFromDense(big.layer, big.target);
    expect(s2.flops).toBe(64 * 9 * 16 * 16);
    expect((instantiate(s2, tf.zeros([1, 8, 8, 16])) as Tucker2Conv2D).forwardMode).toBe('reconstructed');
  });
});

describe('TuckerDense equals the dense layer', () => {
  const layouts: [number[], number[], number[], number[]][] = [
    [[12], [10], [0, 1], [4, 3]],
    [
      [4, 3],
      [5, 2],
      [0, 1, 2, 3],
      [2, 3, 3, 2],
    ],
    [
      [4, 3],
      [5, 2],
      [0, 2],
      [2, 3],
    ],
  ];
  for (const [outModes, inModes, modes, ranks] of layouts) {
    for (const batch of [1, 7]) {
      for (const mode of ['factorized', 'reconstructed'] as const) {
        it(`out ${outModes} in ${inModes} modes ${modes}, batch ${batch}, ${mode}`, () => {
          const rng = new Rng(batch + modes.length);
          const kernel = tensor([10, 12], rng.normalArray(120));
          const bias = tensor([12], rng.normalArray(12));
          const info: DenseLayerInfo = { name: 'fc', kind: 'dense', config: { activation: 'relu' }, inputShape: [10], outputShape: [12], kernel, bias };
          const target = resolveLayerTarget('fc', { format: 'tucker', outModes, inModes, ranks, options: { modes, forwardMode: mode } }, 'dense', [10, 12]);
          const f = tucker(tensorize(kernel, target.layout), target.ranks, { modes });
          const spec = tuckerLayerFromFactors(info, f, target);
          const x = tf.randomNormal([batch, 3, 10], 0, 1, 'float32', 8);
          const l = instantiate(spec, x);
          const K = toTf(detensorize(reconstructTucker(f), target.layout)) as tf.Tensor2D;
          const ref = tf.relu(tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, 10]), K), [batch, 3, 12]), toTf(bias)));
          expect(maxAbsDiff(l.apply(x) as tf.Tensor, ref)).toBeLessThan(1e-4);
        });
      }
    }
  }
});

describe('training and serialization', () => {
  function convSpec(mode: string) {
    const c: ConvCase = { cin: 4, cout: 6, k: 3, hw: 6, strides: 2, padding: 'same', dilation: 1, ranks: [3, 2] };
    const s = convSetup(c, 12, mode);
    return tuckerLayerFromFactors(s.layer, s.factors, s.target);
  }
  function denseSpec(mode: string) {
    const rng = new Rng(4);
    const kernel = tensor([10, 12], rng.normalArray(120));
    const info: DenseLayerInfo = {
      name: 'fc',
      kind: 'dense',
      config: {},
      inputShape: [10],
      outputShape: [12],
      kernel,
      bias: tensor([12], rng.normalArray(12)),
    };
    const target = resolveLayerTarget(
      'fc',
      { format: 'tucker', outModes: [4, 3], inModes: [5, 2], ranks: [2, 2, 3, 2], options: { forwardMode: mode } },
      'dense',
      [10, 12],
    );
    return tuckerLayerFromDense(info, target);
  }

  for (const mode of ['factorized', 'reconstructed']) {
    it(`gradients reach every weight (${mode})`, () => {
      for (const [spec, x] of [
        [convSpec(mode), tf.randomNormal([3, 6, 6, 4], 0, 1, 'float32', 1)],
        [denseSpec(mode), tf.randomNormal([3, 10], 0, 1, 'float32', 2)],
      ] as const) {
        const l = instantiate(spec, x);
        const vars = l.trainableWeights.map((w) => w.read() as tf.Variable);
        expect(vars).toHaveLength(spec.weights.length);
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(l.apply(x) as tf.Tensor)) as tf.Scalar, vars);
        for (const v of vars) {
          const g = grads[v.name]!;
          expect(g.shape).toEqual(v.shape);
          expect(tf.norm(g).dataSync()[0]!).toBeGreaterThan(1e-6);
        }
      }
    });
  }

  it('save → load gives identical outputs (model.toJSON + weights → modelFromJSON)', async () => {
    for (const [spec, shape] of [
      [convSpec('factorized'), [6, 6, 4]],
      [denseSpec('auto'), [10]],
    ] as const) {
      const input = tfl.input({ shape: [...shape] });
      const layer = spec.className === Tucker2Conv2D.className ? new Tucker2Conv2D(spec.config as never) : new TuckerDense(spec.config as never);
      const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
      layer.setWeights(spec.weights.map(toTf));
      const json = model.toJSON(null, true) as string;
      expect(json).toContain(spec.className);
      const loaded = await tfl.models.modelFromJSON(JSON.parse(json));
      loaded.setWeights(model.getWeights());
      const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 3);
      const a = (model.predict(x) as tf.Tensor).dataSync();
      const b = (loaded.predict(x) as tf.Tensor).dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
      const l2 = loaded.layers[1] as Tucker2Conv2D | TuckerDense;
      expect(l2.ranks).toEqual((layer as Tucker2Conv2D).ranks);
      expect(l2.getConfig()).toEqual(layer.getConfig());
    }
  });

  it('the layers are registered with TF.js serialization at import', () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map[Tucker2Conv2D.className]?.[0]).toBe(Tucker2Conv2D);
    expect(map[TuckerDense.className]?.[0]).toBe(TuckerDense);
  });
});

describe('plugin', () => {
  it('registers in a container and resolves by id', () => {
    const c = createRegistry();
    register(c);
    register(c); // idempotent
    expect(resolvePlugin('tucker', c)).toBe(plugin);
    expect(listPlugins(c).map((p) => p.id)).toEqual(['tucker']);
    expect(plugin.layers?.classNames).toEqual(['Tucker2Conv2D', 'TuckerDense']);
  });

  it('decomposition contract: decompose, reconstruct, paramCount, resolveRanks', () => {
    const rng = new Rng(8);
    const x = tensor([6, 9, 5], rng.normalArray(270));
    const d = plugin.decomposition;
    const f = d.decompose(x, { ranks: [3, 2] }, { modes: [0, 2] });
    expect(f.format).toBe('tucker');
    expect(d.reconstruct(f).shape).toEqual([6, 9, 5]);
    expect(d.paramCount(x.shape, f.ranks, { modes: [0, 2] })).toBe(3 * 9 * 2 + 6 * 3 + 5 * 2);
    expect(d.resolveRanks(x.shape, { maxRank: 4 }, { modes: [0, 2] })).toEqual([4, 4]);
    expect(d.resolveRanks(x.shape, { eps: 0.5 }, { tensor: x })).toHaveLength(3);
    expect(d.rankConvention).toMatch(/one rank per decomposed mode/);
  });
});

describe('layer factory errors', () => {
  const rng = new Rng(2);
  const kernel = tensor([3, 3, 4, 6], rng.normalArray(216));
  const info: DenseLayerInfo = { name: 'c', kind: 'conv2d', config: {}, inputShape: [5, 5, 4], outputShape: [3, 3, 6], kernel };
  const target: LayerTarget = resolveLayerTarget('c', { format: 'tucker', outModes: [6], inModes: [4], ranks: [2, 2] }, 'conv2d', kernel.shape);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return 'no error';
  };
  it('rejects mismatched factors, layouts and options', () => {
    const f = tucker(tensorize(kernel, target.layout), { ranks: [2, 2] }, { modes: [0, 2] });
    expect(code(() => tuckerLayerFromFactors(info, f, target))).toBe('no error');
    const other = resolveLayerTarget('c', { format: 'tucker', outModes: [3, 2], inModes: [4], ranks: [2, 2] }, 'conv2d', kernel.shape);
    expect(code(() => tuckerLayerFromFactors(info, f, other))).toBe('TS_SHAPE');
    expect(code(() => tuckerLayerFromFactors({ ...info, kind: 'dense' }, f, target))).toBe('TS_SHAPE');
    expect(code(() => tuckerLayerFromFactors(info, { ...f, format: 'tt' }, target))).toBe('TS_FACTOR');
    expect(code(() => tuckerLayerFromFactors(info, f, { ...target, options: { forwardMode: 'fast' } }))).toBe('TS_OPTION');
    expect(code(() => new Tucker2Conv2D({ units: 6, inputChannels: 4, kernelSize: [3, 3], outModes: [4], ranks: [2, 2] }))).toBe('TS_FACTOR');
    expect(code(() => new Tucker2Conv2D({ units: 6, inputChannels: 4, kernelSize: [3, 3], ranks: [2] }))).toBe('TS_RANK');
    expect(code(() => new Tucker2Conv2D({ units: 6, inputChannels: 4, kernelSize: [3, 3], ranks: [7, 2] }))).toBe('TS_RANK');
    expect(code(() => new TuckerDense({ units: 6, inputChannels: 4, ranks: [2, 2], modes: [0, 5] }))).toBe('TS_SHAPE');
  });
});

describe('model surgery with a Tucker plan (core factorizeModel)', () => {
  it('decompose with a layer layout defaults to its channel modes (what surgery passes)', () => {
    const rng = new Rng(3);
    const kernel = tensor([3, 3, 5, 7], rng.normalArray(315));
    const target = resolveLayerTarget('c', { format: 'tucker', outModes: [7], inModes: [5], ranks: [4, 3] }, 'conv2d', kernel.shape);
    const f = plugin.decomposition.decompose(tensorize(kernel, target.layout), target.ranks, { ...target.options, layout: target.layout });
    expect(f.meta?.modes).toEqual([0, 2]);
    expect(plugin.decomposition.resolveRanks([7, 9, 5], { maxRank: 4 }, { layout: target.layout })).toEqual([4, 4]);
    expect(plugin.decomposition.paramCount([7, 9, 5], [4, 3], { layout: target.layout })).toBe(4 * 9 * 3 + 7 * 4 + 5 * 3);
    expect(() => plugin.decomposition.decompose(tensor([7, 45], new Float64Array(315)), { ranks: [2, 2] }, { layout: target.layout })).toThrow(
      expect.objectContaining({ code: 'TS_SHAPE' }),
    );
  });

  it('rebuilds a model with Tucker2Conv2D and TuckerDense; full ranks give the same outputs', async () => {
    const c = createRegistry();
    register(c);
    const inp = tfl.input({ shape: [8, 8, 3] });
    let h = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }).apply(inp) as tfl.SymbolicTensor;
    h = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', name: 'c2' }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.flatten().apply(h) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 5, name: 'fc' }).apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: inp, outputs: out });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 9);
    const full = {
      version: 1 as const,
      layers: {
        c2: { format: 'tucker', outModes: [8], inModes: [6], ranks: [8, 6], options: { forwardMode: 'factorized' } },
        fc: { format: 'tucker', outModes: [5], inModes: [72], ranks: [5, 72], options: { forwardMode: 'factorized' } },
      },
    };
    const r = await factorizeModel(model, full, { container: c });
    expect(r.model.getLayer('c2').getClassName()).toBe('Tucker2Conv2D');
    expect(r.model.getLayer('fc').getClassName()).toBe('TuckerDense');
    expect(r.layers.map((l) => l.name)).toEqual(['c2', 'fc']);
    for (const l of r.layers) expect(l.relError, l.name).toBeLessThan(1e-12);
    expect(maxAbsDiff(r.model.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-4);
    const low = { version: 1 as const, layers: { c2: { format: 'tucker', outModes: [8], inModes: [6], ranks: [3, 2] } } };
    const r2 = await factorizeModel(model, low, { container: c });
    expect(r2.layers[0]!.ranks).toEqual([3, 2]);
    expect(r2.layers[0]!.paramsAfter).toBe(3 * 9 * 2 + 8 * 3 + 6 * 2 + 8);
  });
});
