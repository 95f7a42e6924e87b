import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {
  FactorizedConv2D,
  FactorizedDense,
  createRegistry,
  denseLayers,
  plannableLayers,
  isTensorslimError,
  layoutDims,
  registerPlugin,
  replaceLayers,
  type CoreShape,
  type DenseLayerInfo,
  type Factors,
  type FactorizedConv2DArgs,
  type FactorizedLayerArgs,
  type FactorizedLayerSpec,
  type FormatPlugin,
  type LayerTarget,
  type RankSpec,
  type ThreeStageMaps,
  type ThreeStageSizes,
} from '@tensorslim/core';
import { factorizeModel, modelSummary, resolvePlanTargets } from '../src/index.js';
import { Rng, matrix, svd, tensor, type DenseTensor } from '@tensorslim/linalg';

// ---------------------------------------------------------------------------------------------
// A test-only format: the tensorized weight read as the matrix [Cout, kh·kw·Cin] (dense:
// [Out, In]) and cut by a truncated SVD at rank R. Conv: a kh×kw conv Cin → R, then a 1×1 map
// R → Cout. Dense: In → R → Out. At full rank it is exact.
// ---------------------------------------------------------------------------------------------

interface LowRankArgs extends FactorizedConv2DArgs {
  rank: number;
}

class LowRankConv2D extends FactorizedConv2D {
  static className = 'TestLowRankConv2D';
  readonly rank: number;
  constructor(args: LowRankArgs) {
    super(args);
    this.rank = args.rank;
  }
  coreShapes(): CoreShape[] {
    const [kh, kw] = this.kernelSize;
    return [
      { name: 'u', shape: [this.rank, this.units] },
      { name: 'v', shape: [kh, kw, this.inputChannels, this.rank] },
    ];
  }
  maps(cores: tf.Tensor[]): ThreeStageMaps {
    return { inMap: null, middle: cores[1]!, outMap: cores[0] as tf.Tensor2D };
  }
  stageSizes(): ThreeStageSizes {
    const [kh, kw] = this.kernelSize;
    return { cin: this.inputChannels, r1: this.inputChannels, r2: this.rank, cout: this.units, kh, kw, inIdentity: true };
  }
  pluginConfig(): Record<string, unknown> {
    return { rank: this.rank };
  }
}

class LowRankDense extends FactorizedDense {
  static className = 'TestLowRankDense';
  readonly rank: number;
  constructor(args: FactorizedLayerArgs & { rank: number }) {
    super(args);
    this.rank = args.rank;
  }
  coreShapes(): CoreShape[] {
    return [
      { name: 'v', shape: [this.inputChannels, this.rank] },
      { name: 'u', shape: [this.rank, this.units] },
    ];
  }
  maps(cores: tf.Tensor[]): ThreeStageMaps {
    return { inMap: cores[0] as tf.Tensor2D, middle: null, outMap: cores[1] as tf.Tensor2D };
  }
  stageSizes(): ThreeStageSizes {
    return { cin: this.inputChannels, r1: this.rank, r2: this.rank, cout: this.units, kh: 1, kw: 1, middleIdentity: true };
  }
  pluginConfig(): Record<string, unknown> {
    return { rank: this.rank };
  }
}

function asMatrix(t: DenseTensor) {
  const rows = t.shape[0]!;
  return matrix(rows, t.data.length / rows, t.data);
}

function rankOf(spec: RankSpec, rows: number, cols: number): number {
  const full = Math.min(rows, cols);
  if ('ranks' in spec) return Math.min(full, Number(spec.ranks[0]));
  if ('maxRank' in spec) return Math.min(full, Number(spec.maxRank));
  if ('ratio' in spec) return Math.max(1, Math.min(full, Math.floor((rows * cols) / (spec.ratio * (rows + cols)))));
  return full;
}

const lowrank: FormatPlugin = {
  id: 'lowrank',
  name: 'low-rank matrix (test)',
  description: 'truncated SVD of the [Cout, kh·kw·Cin] matrix',
  decomposition: {
    rankConvention: 'one rank',
    decompose(t: DenseTensor, spec: RankSpec): Factors {
      const a = asMatrix(t);
      const r = rankOf(spec, a.rows, a.cols);
      const f = svd(a, { k: r });
      const us = new Float64Array(a.rows * r);
      for (let i = 0; i < a.rows; i++) for (let j = 0; j < r; j++) us[i * r + j] = f.u.data[i * f.u.cols + j]! * f.s[j]!;
      return { format: 'lowrank', shape: [...t.shape], ranks: [r], cores: [tensor([a.rows, r], us), tensor([r, a.cols], f.vt.data.slice(0, r * a.cols))] };
    },
    reconstruct(f: Factors): DenseTensor {
      const [a, b] = f.cores as [DenseTensor, DenseTensor];
      const [m, r] = a.shape as [number, number];
      const n = b.shape[1]!;
      const out = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let k = 0; k < r; k++) for (let j = 0; j < n; j++) out[i * n + j] += a.data[i * r + k]! * b.data[k * n + j]!;
      return tensor(f.shape, out);
    },
    paramCount(shape: readonly number[], ranks: readonly number[]) {
      return ranks[0]! * (shape[0]! + shape.slice(1).reduce((x, y) => x * y, 1));
    },
    resolveRanks(shape: readonly number[], spec: RankSpec) {
      return [
        rankOf(
          spec,
          shape[0]!,
          shape.slice(1).reduce((x, y) => x * y, 1),
        ),
      ];
    },
  },
  projector: {
    id: 'lowrank',
    project(w: DenseTensor) {
      return w;
    },
  },
  layers: {
    kinds: ['conv2d', 'dense'],
    classNames: [LowRankConv2D.className, LowRankDense.className],
    register() {
      tf.serialization.registerClass(LowRankConv2D);
      tf.serialization.registerClass(LowRankDense);
    },
    fromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
      const { cin, cout, kh, kw } = layoutDims(target.layout);
      const r = factors.ranks[0]!;
      const [a, b] = factors.cores as [DenseTensor, DenseTensor]; // a [Cout, R], b [R, kh·kw·Cin]
      const u = new Float64Array(r * cout); // [R, Cout]
      for (let o = 0; o < cout; o++) for (let k = 0; k < r; k++) u[k * cout + o] = a.data[o * r + k]!;
      const bias = layer.bias ? [layer.bias] : [];
      const cfg = layer.config;
      const common = {
        units: cout,
        inputChannels: cin,
        useBias: !!layer.bias,
        activation: (cfg.activation as string) ?? 'linear',
        rank: r,
        mode: 'factorized',
      };
      if (layer.kind === 'conv2d') {
        const v = new Float64Array(kh * kw * cin * r); // [kh, kw, Cin, R] from b[r, k·Cin + i]
        for (let k = 0; k < kh * kw; k++)
          for (let i = 0; i < cin; i++) for (let q = 0; q < r; q++) v[(k * cin + i) * r + q] = b.data[q * (kh * kw * cin) + k * cin + i]!;
        return {
          className: LowRankConv2D.className,
          config: { ...common, name: layer.name, kernelSize: [kh, kw], strides: cfg.strides, padding: cfg.padding, dilationRate: cfg.dilationRate },
          weights: [tensor([r, cout], u), tensor([kh, kw, cin, r], v), ...bias],
          params: r * cout + kh * kw * cin * r + cout,
          flops: 0,
        };
      }
      const v = new Float64Array(cin * r); // [In, R] = b^T
      for (let i = 0; i < cin; i++) for (let q = 0; q < r; q++) v[i * r + q] = b.data[q * cin + i]!;
      return {
        className: LowRankDense.className,
        config: { ...common, name: layer.name },
        weights: [tensor([cin, r], v), tensor([r, cout], u), ...bias],
        params: cin * r + r * cout + cout,
        flops: 0,
      };
    },
  },
};

// ---------------------------------------------------------------------------------------------

function seqModel(): tfl.LayersModel {
  const m = tfl.sequential({ name: 'seq' });
  m.add(
    tfl.layers.conv2d({ name: 'c1', inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', biasInitializer: 'randomNormal' }),
  );
  m.add(tfl.layers.conv2d({ name: 'c2', filters: 6, kernelSize: 3, strides: 2, padding: 'valid', biasInitializer: 'randomNormal' }));
  m.add(tfl.layers.flatten({ name: 'flat' }));
  m.add(tfl.layers.dense({ name: 'fc1', units: 10, activation: 'relu', biasInitializer: 'randomNormal' }));
  m.add(tfl.layers.dense({ name: 'fc2', units: 5, activation: 'softmax' }));
  return m;
}

function residualModel(): tfl.LayersModel {
  const x = tfl.input({ shape: [8, 8, 4], name: 'x' });
  let h = tfl.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ name: 'bn' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.activation({ name: 'relu', activation: 'relu' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ name: 'c2', filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 }).apply(h) as tfl.SymbolicTensor;
  const s = tfl.layers.add({ name: 'add' }).apply([x, h]) as tfl.SymbolicTensor;
  const p = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(s) as tfl.SymbolicTensor;
  const y = tfl.layers.dense({ name: 'fc', units: 3 }).apply(p) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: x, outputs: y, name: 'res' });
  // non-trivial BatchNormalization statistics, so that carrying them over is tested
  const bn = m.getLayer('bn');
  const rng = new Rng(11);
  bn.setWeights(
    bn.getWeights().map((w, i) =>
      tf.tensor(
        Float32Array.from(rng.normalArray(w.size), (v) => (i === 3 ? 1 + Math.abs(v) : v)),
        w.shape,
      ),
    ),
  );
  return m;
}

function input(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from(rng.normalArray(shape.reduce((a, b) => a * b, 1))), shape);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

function weightsOf(m: tfl.LayersModel, name: string): Float32Array[] {
  return m
    .getLayer(name)
    .getWeights()
    .map((w) => (w.dataSync() as Float32Array).slice());
}

const container = createRegistry();

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerPlugin(lowrank, container);
});

describe('denseLayers and modelSummary', () => {
  it('lists the factorizable Conv2D/Dense layers with float64 kernels, configs and shapes', () => {
    const m = seqModel();
    const infos = denseLayers(m);
    expect(infos.map((i) => [i.name, i.kind])).toEqual([
      ['c1', 'conv2d'],
      ['c2', 'conv2d'],
      ['fc1', 'dense'],
      ['fc2', 'dense'],
    ]);
    const c2 = infos[1]!;
    expect(c2.kernel.shape).toEqual([3, 3, 4, 6]);
    expect(c2.kernel.data).toBeInstanceOf(Float64Array);
    expect(Array.from(c2.kernel.data)).toEqual(Array.from(m.getLayer('c2').getWeights()[0]!.dataSync()));
    expect(c2.bias?.shape).toEqual([6]);
    expect(c2.inputShape).toEqual([8, 8, 4]);
    expect(c2.outputShape).toEqual([3, 3, 6]);
    expect(c2.config.strides).toEqual([2, 2]);
    expect(infos[3]!.config.activation).toBe('softmax');
    m.dispose();
  });

  it('plannableLayers lists the same layers, kinds and kernel shapes without reading a weight', () => {
    const m = seqModel();
    const reads = m.weights.flatMap((w) => [vi.spyOn(w.read(), 'dataSync'), vi.spyOn(w.read(), 'data'), vi.spyOn(w.read(), 'arraySync')]);
    const listed = plannableLayers(m);
    expect(reads.reduce((n, r) => n + r.mock.calls.length, 0)).toBe(0);
    reads.forEach((r) => r.mockRestore());
    expect(listed).toEqual([
      { name: 'c1', kind: 'conv2d', kernelShape: m.getLayer('c1').getWeights()[0]!.shape },
      { name: 'c2', kind: 'conv2d', kernelShape: [3, 3, 4, 6] },
      { name: 'fc1', kind: 'dense', kernelShape: m.getLayer('fc1').getWeights()[0]!.shape },
      { name: 'fc2', kind: 'dense', kernelShape: m.getLayer('fc2').getWeights()[0]!.shape },
    ]);
    expect(listed).toEqual(denseLayers(m).map((i) => ({ name: i.name, kind: i.kind, kernelShape: i.kernel.shape })));
    m.dispose();
  });

  it('counts parameters and multiply-adds per layer (hand-computed) and the totals', () => {
    const m = residualModel();
    const s = modelSummary(m);
    const row = (n: string) => s.layers.find((r) => r.name === n)!;
    expect(row('c1')).toMatchObject({ className: 'Conv2D', params: 3 * 3 * 4 * 4, flops: 64 * 9 * 4 * 4, factorizable: true });
    expect(row('c2')).toMatchObject({ params: 3 * 3 * 4 * 4 + 4, flops: 64 * 9 * 4 * 4, factorizable: true });
    expect(row('bn')).toMatchObject({ className: 'BatchNormalization', params: 16, trainableParams: 8, flops: 0, factorizable: false });
    expect(row('fc')).toMatchObject({ params: 15, flops: 12, factorizable: true });
    expect(row('add').factorizable).toBe(false);
    expect(s.totalParams).toBe(144 + 148 + 16 + 15);
    expect(s.trainableParams).toBe(144 + 148 + 8 + 15);
    expect(s.totalFlops).toBe(2 * 64 * 9 * 16 + 12);
    expect(s.factorizableParams).toBe(144 + 148 + 15);
    m.dispose();
  });

  it('counts depthwise convolutions and recurrent layers', () => {
    const x = tfl.input({ shape: [6, 6, 2] });
    const d = tfl.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'valid' }).apply(x) as tfl.SymbolicTensor;
    const m1 = tfl.model({ inputs: x, outputs: d });
    expect(modelSummary(m1).layers.find((r) => r.name === 'dw')!.flops).toBe(16 * 9 * 2 * 2);
    const seq = tfl.input({ shape: [7, 5] });
    const l = tfl.layers.lstm({ name: 'lstm', units: 3, returnSequences: true }).apply(seq) as tfl.SymbolicTensor;
    const g = tfl.layers.gru({ name: 'gru', units: 2 }).apply(l) as tfl.SymbolicTensor;
    const m2 = tfl.model({ inputs: seq, outputs: g });
    const s2 = modelSummary(m2);
    expect(s2.layers.find((r) => r.name === 'lstm')!.flops).toBe(7 * 4 * (5 * 3 + 3 * 3));
    expect(s2.layers.find((r) => r.name === 'gru')!.flops).toBe(7 * 3 * (3 * 2 + 2 * 2));
    m1.dispose();
    m2.dispose();
  });
});

describe('factorizeModel / replaceLayers', () => {
  it("at full rank keeps a Sequential model's outputs (≤ 1e-4); unplanned layers keep their weights bit for bit", async () => {
    const m = seqModel();
    const x = input([3, 8, 8, 3], 5);
    const y0 = m.predict(x) as tf.Tensor;
    const plan = {
      version: 1 as const,
      layers: { c1: { format: 'lowrank', ranks: [100] }, c2: { format: 'lowrank', ranks: [100] }, fc1: { format: 'lowrank', ranks: [100] } },
    };
    const before = weightsOf(m, 'fc2');
    const { model: f, layers } = await factorizeModel(m, plan, { container });
    expect(f.getLayer('c1').getClassName()).toBe('TestLowRankConv2D');
    expect(f.getLayer('fc1').getClassName()).toBe('TestLowRankDense');
    expect(f.getLayer('fc2').getClassName()).toBe('Dense');
    expect(layers.map((l) => [l.name, l.ranks[0]])).toEqual([
      ['c1', 4],
      ['c2', 6],
      ['fc1', 10],
    ]);
    for (const l of layers) expect(l.relError).toBeLessThan(1e-12);
    const y1 = f.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y0, y1)).toBeLessThanOrEqual(1e-4);
    const after = weightsOf(f, 'fc2');
    expect(after.length).toBe(before.length);
    after.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(before[i]!.buffer))).toBe(true));
    // the reports: c2 is 3x3, 4 -> 6, stride 2 valid on 8x8: 3x3 output pixels
    const c2 = layers.find((l) => l.name === 'c2')!;
    expect(c2.paramsBefore).toBe(9 * 4 * 6 + 6);
    expect(c2.paramsAfter).toBe(6 * 6 + 9 * 4 * 6 + 6);
    expect(c2.flopsBefore).toBe(9 * 9 * 4 * 6);
    expect(c2.flopsAfter).toBe(9 * (9 * 4 * 6) + 9 * 6 * 6);
    expect(c2.modes).toEqual([6, 9, 4]); // suggested modes of 6 and 4: one each
    tf.dispose([x, y0, y1]);
    m.dispose();
    f.dispose();
  });

  it('works on a functional residual model; BatchNormalization statistics and the Add branch survive', async () => {
    const m = residualModel();
    const x = input([2, 8, 8, 4], 6);
    const y0 = m.predict(x) as tf.Tensor;
    const bnBefore = weightsOf(m, 'bn');
    const plan = {
      version: 1 as const,
      layers: { c1: { format: 'lowrank', ranks: { maxRank: 36 } }, c2: { format: 'lowrank', ranks: { maxRank: 36 }, outModes: [4], inModes: [4] } },
    };
    const { model: f, layers } = await factorizeModel(m, plan, { container });
    expect(layers.map((l) => l.name)).toEqual(['c1', 'c2']);
    expect(layers[1]!.modes).toEqual([4, 9, 4]);
    const y1 = f.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y0, y1)).toBeLessThanOrEqual(1e-4);
    weightsOf(f, 'bn').forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(bnBefore[i]!)));
    expect(Array.from(weightsOf(f, 'fc')[0]!)).toEqual(Array.from(weightsOf(m, 'fc')[0]!));
    // the original model is untouched and still usable after the new one is disposed
    f.dispose();
    const y2 = m.predict(x) as tf.Tensor;
    expect(maxAbsDiff(y0, y2)).toBe(0);
    tf.dispose([x, y0, y1, y2]);
    m.dispose();
  });

  it('at a low rank reports the kernel error the new layer really has', async () => {
    const m = seqModel();
    const { model: f, layers } = await factorizeModel(m, { version: 1, layers: { c2: { format: 'lowrank', ranks: [2] } } }, { container });
    const rep = layers[0]!;
    expect(rep.ranks).toEqual([2]);
    expect(rep.relError).toBeGreaterThan(0.05);
    const k = m.getLayer('c2').getWeights()[0]!;
    const khat = (f.getLayer('c2') as unknown as LowRankConv2D).reconstructKernel();
    const err = tf.tidy(() => tf.norm(tf.sub(k, khat)).dataSync()[0]! / tf.norm(k).dataSync()[0]!);
    expect(err).toBeCloseTo(rep.relError, 5);
    expect(rep.paramsAfter).toBe(2 * 6 + 9 * 4 * 2 + 6);
    khat.dispose();
    m.dispose();
    f.dispose();
  });

  it("decomposes given weights instead of the model's (ADMM's Z)", async () => {
    const m = seqModel();
    const rng = new Rng(2);
    const z = tensor([10, 5], rng.normalArray(50));
    const { model: f } = await factorizeModel(m, { version: 1, layers: { fc2: { format: 'lowrank', ranks: [5] } } }, { container, weights: { fc2: z } });
    const khat = (f.getLayer('fc2') as unknown as LowRankDense).reconstructKernel();
    const d = khat.dataSync();
    for (let i = 0; i < 50; i++) expect(d[i]).toBeCloseTo(z.data[i]!, 5);
    khat.dispose();
    await expect(factorizeModel(m, { version: 1, layers: { fc2: { format: 'lowrank', ranks: [5] } } }, { container, weights: { fc1: z } })).rejects.toThrow(
      /weights were given for "fc1"/,
    );
    await expect(
      factorizeModel(m, { version: 1, layers: { fc2: { format: 'lowrank', ranks: [5] } } }, { container, weights: { fc2: tensor([5, 10]) } }),
    ).rejects.toThrow(/shape \[5, 10\], the kernel is \[10, 5\]/);
    m.dispose();
    f.dispose();
  });

  it('measures the reconstruction against reference kernels when given (the trained W behind a projected Z)', async () => {
    const m = seqModel();
    const rng = new Rng(3);
    const w = tensor([10, 5], rng.normalArray(50));
    const z = tensor(
      [10, 5],
      Float64Array.from(w.data, (v, i) => v + 0.3 * Math.sin(i)),
    );
    const plan = { version: 1 as const, layers: { fc2: { format: 'lowrank', ranks: [2] } } };
    const { model: f, layers } = await factorizeModel(m, plan, { container, weights: { fc2: z }, reference: { fc2: w } });
    const khat = (f.getLayer('fc2') as unknown as LowRankDense).reconstructKernel();
    const d = khat.dataSync();
    let num = 0;
    let den = 0;
    for (let i = 0; i < 50; i++) {
      num += (w.data[i]! - d[i]!) ** 2;
      den += w.data[i]! ** 2;
    }
    expect(layers[0]!.referenceError).toBeCloseTo(Math.sqrt(num / den), 5);
    expect(Math.abs(layers[0]!.referenceError! - layers[0]!.relError)).toBeGreaterThan(1e-3); // not the error against z
    const plain = await factorizeModel(m, plan, { container });
    expect(plain.layers[0]!.referenceError).toBeUndefined();
    await expect(factorizeModel(m, plan, { container, reference: { fc1: w } })).rejects.toThrow(/reference kernels were given for "fc1"/);
    await expect(factorizeModel(m, plan, { container, reference: { fc2: tensor([5, 10]) } })).rejects.toThrow(
      /the reference kernel for fc2: shape \[5, 10\], the kernel is \[10, 5\]/,
    );
    khat.dispose();
    m.dispose();
    f.dispose();
    plain.model.dispose();
  });

  it('replaceLayers refuses unknown names, unregistered classes and weights of the wrong shapes', async () => {
    const m = seqModel();
    const spec: FactorizedLayerSpec = {
      className: 'Dense',
      config: { units: 5, activation: 'softmax' },
      weights: [tensor([10, 5]), tensor([5])],
      params: 55,
      flops: 50,
    };
    await expect(replaceLayers(m, { nope: spec })).rejects.toThrow(/cannot replace nope.*layers: c1, c2, flat, fc1, fc2/);
    await expect(replaceLayers(m, { fc2: { ...spec, className: 'NoSuchLayer' } })).rejects.toThrow(/NoSuchLayer.*not registered/);
    await expect(replaceLayers(m, { fc2: { ...spec, weights: [tensor([5, 10]), tensor([5])] } })).rejects.toThrow(
      /weights \[10x5, 5\], the spec gives \[5x10, 5\]/,
    );
    // a plain Dense spec is a valid replacement: the weights are set from it exactly
    const w = tensor([10, 5], new Rng(4).normalArray(50));
    const r = await replaceLayers(m, { fc2: { ...spec, weights: [w, tensor([5])] } });
    expect(Array.from(r.getLayer('fc2').getWeights()[0]!.dataSync())).toEqual(Array.from(Float32Array.from(w.data)));
    m.dispose();
    r.dispose();
  });
});

describe('bad plans', () => {
  const m = seqModel();
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isTensorslimError(e) ? `${e.code}: ${e.message}` : String(e);
    }
    return 'no error';
  };
  it('a layer the model lacks: TS_PLAN listing the factorizable layers', () => {
    expect(codeOf(() => resolvePlanTargets(m, { version: 1, layers: { conv9: { format: 'lowrank', ranks: [2] } } }))).toMatch(
      /^TS_PLAN: the plan names a layer the model does not have: conv9 — factorizable layers of seq: c1, c2, fc1, fc2$/,
    );
  });
  it('a layer that is not Conv2D/Dense: TS_PLAN saying what it is', () => {
    expect(codeOf(() => resolvePlanTargets(m, { version: 1, layers: { flat: { format: 'lowrank', ranks: [2] } } }))).toMatch(
      /^TS_PLAN: .*"flat".*Flatten is not a Conv2D or Dense layer/,
    );
  });
  it('modes that do not factor the channels: TS_FACTOR', () => {
    expect(codeOf(() => resolvePlanTargets(m, { version: 1, layers: { c2: { format: 'lowrank', ranks: [2], outModes: [4] } } }))).toMatch(
      /^TS_FACTOR: c2: outModes \[4\] multiply to 4, but the layer has 6 output channels/,
    );
  });
  it('an unregistered format: TS_UNKNOWN_FORMAT listing the registered ones', async () => {
    await expect(factorizeModel(m, { version: 1, layers: { c2: { format: 'nope', ranks: [2] } } }, { container })).rejects.toThrow(
      /unknown format "nope" — registered formats: lowrank/,
    );
  });
  it('targets come back in model order with modes and evaluated rank formulas', () => {
    const t = resolvePlanTargets(m, {
      version: 1,
      layers: { fc1: { format: 'lowrank', ranks: ['min(cin, cout) / 2'] }, c1: { format: 'lowrank', ranks: { maxRank: 'cout' } } },
    });
    expect(t.map((x) => x.name)).toEqual(['c1', 'fc1']);
    expect(t[0]!.ranks).toEqual({ maxRank: 4 });
    expect(t[1]!.ranks).toEqual({ ranks: [5] });
    expect(t[1]!.layout.kernelShape).toEqual([54, 10]);
  });
});
