/**
 * Test-only fixtures: a synthetic data source, a matrix low-rank format plugin (projector +
 * decomposition + factorized dense layer) and a top-k sparsity projector, all defined here and
 * registered into a container by the tests — the solver and pipeline never name them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type {
  Batch,
  CoreShape,
  DataSource,
  DenseLayerInfo,
  EpochOptions,
  FactorizedLayerArgs,
  FactorizedLayerSpec,
  Factors,
  FormatPlugin,
  LayerTarget,
  Projector,
  RankSpec,
  ThreeStageMaps,
  ThreeStageSizes,
} from '@tensorslim/core';
import { matrix, Rng, svd, tensor, type DenseTensor } from '@tensorslim/linalg';
import { ErrorCodes, FactorizedDense, fail, registerLayerClasses } from '@tensorslim/core';

/** In-memory data: row-major x [n, ...inputShape], y [n, outDim]; deterministic shuffles. */
export class ArraySource implements DataSource {
  constructor(
    readonly name: string,
    readonly inputShape: readonly number[],
    readonly numClasses: number,
    private readonly x: Float32Array,
    private readonly y: Float32Array,
    readonly trainSize: number,
    private readonly vx: Float32Array,
    private readonly vy: Float32Array,
    readonly valSize: number,
  ) {}

  private get dim(): number {
    return this.inputShape.reduce((a, b) => a * b, 1);
  }

  private batch(x: Float32Array, y: Float32Array, idx: ArrayLike<number>): Batch {
    const d = this.dim;
    const k = this.numClasses;
    const bx = new Float32Array(idx.length * d);
    const by = new Float32Array(idx.length * k);
    for (let i = 0; i < idx.length; i++) {
      bx.set(x.subarray(idx[i]! * d, idx[i]! * d + d), i * d);
      by.set(y.subarray(idx[i]! * k, idx[i]! * k + k), i * k);
    }
    return { xs: tf.tensor(bx, [idx.length, ...this.inputShape]), ys: tf.tensor2d(by, [idx.length, k]) };
  }

  *trainBatches(batchSize: number, opts: EpochOptions): Iterable<Batch> {
    const order = Array.from({ length: this.trainSize }, (_, i) => i);
    new Rng((opts.seed * 1_000_003 + opts.epoch * 7919 + 17) >>> 0).shuffle(order);
    for (let s = opts.startStep ?? 0; s * batchSize < this.trainSize; s++) {
      yield this.batch(this.x, this.y, order.slice(s * batchSize, (s + 1) * batchSize));
    }
  }

  *valBatches(batchSize: number): Iterable<Batch> {
    for (let s = 0; s * batchSize < this.valSize; s++) {
      const idx = Array.from({ length: Math.min(batchSize, this.valSize - s * batchSize) }, (_, i) => s * batchSize + i);
      yield this.batch(this.vx, this.vy, idx);
    }
  }
}

/** x ~ N(0, 1)^d, y = x·W + σε with W given row-major [d, out]. */
export function regressionSource(w: Float64Array, d: number, out: number, n: number, nVal: number, sigma: number, seed: number): ArraySource {
  const rng = new Rng(seed);
  const make = (m: number) => {
    const x = new Float32Array(m * d);
    const y = new Float32Array(m * out);
    for (let i = 0; i < m * d; i++) x[i] = rng.normal();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < out; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x[i * d + k]! * w[k * out + j]!;
        y[i * out + j] = s + sigma * rng.normal();
      }
    }
    return { x, y };
  };
  const t = make(n);
  const v = make(nVal);
  return new ArraySource('synthetic-regression', [d], out, t.x, t.y, n, v.x, v.y, nVal);
}

/** A classification task labelled by a random linear teacher: class = argmax(x·T). */
export function classificationSource(d: number, classes: number, n: number, nVal: number, seed: number): ArraySource {
  const rng = new Rng(seed);
  const teacher = rng.normalArray(d * classes);
  const make = (m: number) => {
    const x = new Float32Array(m * d);
    const y = new Float32Array(m * classes);
    for (let i = 0; i < m * d; i++) x[i] = rng.normal();
    for (let i = 0; i < m; i++) {
      let best = 0;
      let bestV = -Infinity;
      for (let c = 0; c < classes; c++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x[i * d + k]! * teacher[k * classes + c]!;
        if (s > bestV) [best, bestV] = [c, s];
      }
      y[i * classes + best] = 1;
    }
    return { x, y };
  };
  const t = make(n);
  const v = make(nVal);
  return new ArraySource('synthetic-classes', [d], classes, t.x, t.y, n, v.x, v.y, nVal);
}

/** A random matrix of exact rank r: A [m, r] · B [r, n], row-major. */
export function lowRankMatrix(m: number, n: number, r: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const a = rng.normalArray(m * r);
  const b = rng.normalArray(r * n);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let k = 0; k < r; k++) for (let j = 0; j < n; j++) out[i * n + j] += (a[i * r + k]! * b[k * n + j]!) / Math.sqrt(r);
  return out;
}

/** Sets every weight of a model from a seeded normal generator (scaled by 1/sqrt(fan-in)); biases to zero. */
export function seedWeights(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  const ws = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.length === 1) return tf.zeros(shape);
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const v = Float32Array.from(rng.normalArray(n), (x) => x / Math.sqrt(fanIn));
    return tf.tensor(v, shape);
  });
  model.setWeights(ws);
  tf.dispose(ws);
}

/** An MLP: dense layers named fc1.., relu between, optional softmax at the end. */
export function mlp(input: number, units: number[], opts: { softmax?: boolean; bias?: boolean; seed?: number; lastActivation?: string } = {}): tfl.LayersModel {
  const m = tfl.sequential();
  units.forEach((u, i) => {
    const last = i === units.length - 1;
    m.add(
      tfl.layers.dense({
        units: u,
        name: `fc${i + 1}`,
        useBias: opts.bias ?? true,
        activation: (last ? (opts.softmax ? 'softmax' : (opts.lastActivation ?? 'linear')) : 'relu') as 'relu',
        ...(i === 0 ? { inputShape: [input] } : {}),
      }),
    );
  });
  seedWeights(m, opts.seed ?? 1);
  return m;
}

// ------------------------------------------------------------------ the low-rank test format

function asMatrix(t: DenseTensor) {
  if (t.shape.length !== 2) fail(ErrorCodes.RANK, `the lowrank test format needs 2 modes (one outMode, one inMode), got [${t.shape.join(', ')}]`);
  return matrix(t.shape[0]!, t.shape[1]!, t.data);
}

function rankOf(spec: RankSpec, shape: readonly number[]): number {
  if (shape.length !== 2) fail(ErrorCodes.RANK, `the lowrank test format needs 2 modes (one outMode, one inMode), got [${shape.join(', ')}]`);
  const full = Math.min(shape[0]!, shape[1]!);
  let r: number;
  if ('ranks' in spec) {
    if (spec.ranks.length !== 1) fail(ErrorCodes.RANK, `lowrank takes exactly one rank, got [${spec.ranks.join(', ')}]`, 'write "ranks": [r]');
    r = Number(spec.ranks[0]);
  } else if ('maxRank' in spec) r = Number(spec.maxRank);
  else return fail(ErrorCodes.RANK, 'lowrank takes ranks or maxRank');
  if (!Number.isInteger(r) || r < 1) fail(ErrorCodes.RANK, `lowrank rank ${r} must be a positive integer`);
  return Math.min(full, r);
}

/** Rank-r truncation of a matrix (float64). */
export function truncateRank(a: { rows: number; cols: number; data: Float64Array }, r: number): Float64Array {
  const f = svd(matrix(a.rows, a.cols, a.data), { k: r });
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < f.s.length; k++) {
      const uk = f.u.data[i * f.u.cols + k]! * f.s[k]!;
      for (let j = 0; j < a.cols; j++) out[i * a.cols + j] += uk * f.vt.data[k * a.cols + j]!;
    }
  }
  return out;
}

/** The factorized dense layer of the test format: x · V [In, r] · U [r, Out]. */
export class AdmmTestLowRankDense extends FactorizedDense {
  static className = 'AdmmTestLowRankDense';
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

/** Counts projections, to check the solver calls its projector once per layer per update. */
export const projectionCalls = { n: 0 };

/**
 * A format plugin defined only in the tests: the dense kernel as a matrix [Out, In] (plan: one
 * outMode, one inMode), truncated SVD at one rank.
 */
export const lowRankPlugin: FormatPlugin = {
  id: 'lowrank',
  name: 'low-rank matrix (test)',
  description: 'truncated SVD of the [Out, In] kernel matrix',
  decomposition: {
    rankConvention: 'one rank r',
    decompose(t: DenseTensor, spec: RankSpec): Factors {
      const a = asMatrix(t);
      const r = rankOf(spec, t.shape);
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
      return ranks[0]! * (shape[0]! + shape[1]!);
    },
    resolveRanks(shape: readonly number[], spec: RankSpec) {
      return [rankOf(spec, shape)];
    },
  },
  projector: {
    id: 'lowrank',
    project(w: DenseTensor, target: LayerTarget): DenseTensor {
      projectionCalls.n++;
      const [rows, cols] = w.shape as [number, number];
      const r = rankOf(target.ranks, [cols, rows]);
      return { shape: [...w.shape], data: truncateRank({ rows, cols, data: Float64Array.from(w.data) }, r) };
    },
  },
  layers: {
    kinds: ['dense'],
    classNames: ['AdmmTestLowRankDense'],
    register() {
      registerLayerClasses([AdmmTestLowRankDense]);
    },
    fromFactors(layer: DenseLayerInfo, factors: Factors, _target: LayerTarget): FactorizedLayerSpec {
      // tensorized kernel T [Out, In] = A [Out, r] · B [r, In]  →  kernel K = Tᵀ = Bᵀ · Aᵀ
      const [a, b] = factors.cores as [DenseTensor, DenseTensor];
      const [out, r] = a.shape as [number, number];
      const inn = b.shape[1]!;
      const v = new Float64Array(inn * r);
      for (let i = 0; i < inn; i++) for (let k = 0; k < r; k++) v[i * r + k] = b.data[k * inn + i]!;
      const u = new Float64Array(r * out);
      for (let k = 0; k < r; k++) for (let o = 0; o < out; o++) u[k * out + o] = a.data[o * r + k]!;
      const cfg = layer.config;
      const useBias = layer.bias !== undefined;
      return {
        className: 'AdmmTestLowRankDense',
        config: { name: layer.name, units: out, inputChannels: inn, rank: r, useBias, activation: (cfg.activation as string) ?? null, mode: 'factorized' },
        weights: [tensor([inn, r], v), tensor([r, out], u), ...(layer.bias ? [layer.bias] : [])],
        params: r * (inn + out) + (useBias ? out : 0),
        flops: r * (inn + out),
      };
    },
  },
};

/** Keeps the k entries of largest magnitude (k = target.options.k); everything else becomes 0. */
export const topKProjector: Projector = {
  id: 'topk',
  project(w: DenseTensor, target: LayerTarget): DenseTensor {
    const k = Number(target.options.k);
    const idx = Array.from(w.data.keys()).sort((i, j) => Math.abs(w.data[j]!) - Math.abs(w.data[i]!) || i - j);
    const out = new Float64Array(w.data.length);
    for (const i of idx.slice(0, k)) out[i] = w.data[i]!;
    return { shape: [...w.shape], data: out };
  },
};

/** Reads a model's weights as plain arrays. */
export function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((t) => Float32Array.from(t.dataSync()));
}

/** max_i |a_i − b_i| / max(‖b‖_∞, tiny) over a list of arrays. */
export function maxRelDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  // lists of different lengths are not "close": a missing array would otherwise compare as nothing
  if (a.length !== b.length || a.some((x, t) => x.length !== b[t]!.length)) {
    throw new Error(`maxRelDiff: the lists differ in shape (${a.map((x) => x.length).join(',')} vs ${b.map((x) => x.length).join(',')})`);
  }
  let num = 0;
  let den = 1e-30;
  for (let t = 0; t < a.length; t++) {
    for (let i = 0; i < a[t]!.length; i++) {
      num = Math.max(num, Math.abs(a[t]![i]! - b[t]![i]!));
      den = Math.max(den, Math.abs(b[t]![i]!));
    }
  }
  return num / den;
}
