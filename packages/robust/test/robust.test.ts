import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type FormatPlugin, type LayerTarget, type DataSource, type Batch } from '@tensorslim/core';
import { Rng, matrix, svd, type DenseTensor } from '@tensorslim/linalg';
import { makeLoss, trainDense } from '@tensorslim/admm';
import { magnitudeProjector } from '@tensorslim/prune';
import {
  adversarialTransform,
  atmcPlugin,
  evaluationAttack,
  fgsmOptions,
  pgdAttack,
  quantizeProjector,
  quantizeValues,
  registerAtmc,
  robustEvaluate,
  trainingAttack,
} from '@tensorslim/robust';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const target = (options: Record<string, unknown> = {}, shape = [6, 4]): LayerTarget =>
  ({
    name: 'fc1',
    format: 'lr',
    layout: { kind: 'dense', kernelShape: shape, outModes: [shape[1]!], inModes: [shape[0]!] },
    ranks: { ranks: [2] },
    options,
  }) as unknown as LayerTarget;

function net(seed: number): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ units: 16, activation: 'relu', inputShape: [10], kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

/** Seeded points in [0, 1]^10, 3 classes by the first coordinates. */
function points(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 10);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 10; j++) x[i * 10 + j] = rng.uniform();
    const c = x[i * 10]! > 0.66 ? 0 : x[i * 10 + 1]! > 0.5 ? 1 : 2;
    y[i * 3 + c] = 1;
  }
  return { x, y };
}

function source(n: number, seed: number): DataSource {
  const tr = points(n, seed);
  const va = points(64, seed + 100);
  const batches = (p: { x: Float32Array; y: Float32Array }, count: number, bs: number): Batch[] => {
    const out: Batch[] = [];
    for (let i = 0; i < count; i += bs) {
      const m = Math.min(bs, count - i);
      out.push({ xs: tf.tensor2d(p.x.slice(i * 10, (i + m) * 10), [m, 10]), ys: tf.tensor2d(p.y.slice(i * 3, (i + m) * 3), [m, 3]) });
    }
    return out;
  };
  return {
    name: 'points',
    inputShape: [10],
    numClasses: 3,
    trainSize: n,
    valSize: 64,
    trainBatches: (bs) => batches(tr, n, bs),
    valBatches: (bs) => batches(va, 64, bs),
  } as DataSource;
}

describe('PGD', () => {
  it('stays in the ε-ball and in [0, 1], and raises the loss above the clean and the random-noise loss', () => {
    const model = net(3);
    const { x, y } = points(64, 7);
    const xs = tf.tensor2d(x, [64, 10]);
    const ys = tf.tensor2d(y, [64, 3]);
    const loss = makeLoss('crossentropy', 'probabilities');
    const eps = 0.1;
    const adv = pgdAttack(model, xs, ys, { eps, steps: 10, seed: 5 });
    const d = tf.max(tf.abs(tf.sub(adv, xs))).dataSync()[0]!;
    expect(d).toBeLessThanOrEqual(eps + 1e-6);
    expect(d).toBeGreaterThan(0.9 * eps); // it uses the ball
    expect(tf.min(adv).dataSync()[0]!).toBeGreaterThanOrEqual(0);
    expect(tf.max(adv).dataSync()[0]!).toBeLessThanOrEqual(1);
    const clean = loss(ys, model.predict(xs) as tf.Tensor).dataSync()[0]!;
    const noisy = loss(ys, model.predict(tf.clipByValue(tf.add(xs, tf.randomUniform(xs.shape, -eps, eps, 'float32', 9)), 0, 1)) as tf.Tensor).dataSync()[0]!;
    const attacked = loss(ys, model.predict(adv) as tf.Tensor).dataSync()[0]!;
    expect(attacked).toBeGreaterThan(clean + 0.02);
    expect(attacked).toBeGreaterThan(noisy + 0.02);
    // FGSM: one step of exactly ε on every coordinate not clipped at the box
    const f = pgdAttack(model, xs, ys, fgsmOptions(eps));
    const fd = tf.abs(tf.sub(f, xs));
    const inside = tf.logicalAnd(tf.greater(xs, eps), tf.less(xs, 1 - eps));
    const interior = tf.mean(tf.where(inside, fd, tf.fill(fd.shape, eps))).dataSync()[0]!;
    expect(interior).toBeCloseTo(eps, 5);
    expect(loss(ys, model.predict(f) as tf.Tensor).dataSync()[0]!).toBeGreaterThan(clean);
  });

  it('is deterministic for a seed, and robust accuracy is at most the clean accuracy', async () => {
    const model = net(4);
    const data = source(64, 8);
    const a = await robustEvaluate(model, data, { eps: 0.2, steps: 5, seed: 11 });
    const b = await robustEvaluate(model, data, { eps: 0.2, steps: 5, seed: 11 });
    expect(a.robust).toBe(b.robust);
    expect(a.examples).toBe(64);
    expect(a.robust).toBeLessThan(a.clean);
  });

  it('adversarial training raises robust accuracy over natural training of the same model', async () => {
    const attack = { eps: 0.15, steps: 3 };
    const natural = net(5);
    const robust = net(5);
    const data = source(512, 9);
    await trainDense(natural, data, { epochs: 8, lr: 0.1, batchSize: 32, seed: 2 });
    await trainDense(robust, data, { epochs: 8, lr: 0.1, batchSize: 32, seed: 2, batchTransform: adversarialTransform(attack) });
    const rn = await robustEvaluate(natural, data, { ...attack, steps: 10, seed: 1 });
    const rr = await robustEvaluate(robust, data, { ...attack, steps: 10, seed: 1 });
    expect(rr.robust).toBeGreaterThan(rn.robust + 0.05);
  });

  it('the flags: none trains naturally, fgsm is one ε step, robust evaluation defaults to 20 steps with adversarial training', () => {
    const base = { advEps: 0.3, advSteps: 7, robustSteps: undefined, advStepSize: undefined };
    expect(trainingAttack({ ...base, adversarial: 'none' })).toBeNull();
    expect(trainingAttack({ ...base, adversarial: 'fgsm' })).toMatchObject({ eps: 0.3, steps: 1, stepSize: 0.3, randomStart: false });
    expect(trainingAttack({ ...base, adversarial: 'pgd' })).toEqual({ eps: 0.3, steps: 7 });
    expect(evaluationAttack({ ...base, adversarial: 'pgd' })).toMatchObject({ eps: 0.3, steps: 20 });
    expect(evaluationAttack({ ...base, adversarial: 'none' })).toBeNull();
    expect(evaluationAttack({ ...base, adversarial: 'none', robustSteps: 40 })).toMatchObject({ steps: 40 });
  });
});

describe('projectors', () => {
  it('quantization is exact on representable values and rounds others to the nearest grid point', () => {
    const s = 0.013;
    const n = [127, -127, 0, 5, -64, 33, 1, -1];
    const w = Float64Array.from(n, (k) => k * s);
    const q = quantizeProjector().project({ shape: [2, 4], data: w }, target({ bits: 8 }, [2, 4]));
    expect(Array.from(q.data)).toEqual(Array.from(w));
    // off-grid values: the nearest multiple of max/127
    const v = Float64Array.from([1, 0.5004, -0.2497, 0.0041]);
    const r = quantizeValues(v, 8);
    expect(Array.from(r)).toEqual([127, 64, -32, 1].map((k) => k / 127));
    // 2 bits: the grid {-max, 0, max}
    expect(Array.from(quantizeValues(Float64Array.from([0.9, 0.4, -0.6, 0.1]), 2))).toEqual([0.9, 0, -0.9, 0]);
    expect(() => quantizeProjector().project({ shape: [1], data: new Float64Array(1) }, target({}))).toThrow(/options.bits/);
  });

  it("the ATMC format projects onto sparsity, then the base format's low rank, then the grid, and keeps the base decomposition", () => {
    const lowRank: FormatPlugin['projector'] = {
      id: 'lr',
      project(w: DenseTensor, t: LayerTarget) {
        const r = (t.ranks as { ranks: number[] }).ranks[0]!;
        const f = svd(matrix(w.shape[0]!, w.shape[1]!, w.data), { k: r });
        const out = new Float64Array(w.data.length);
        for (let i = 0; i < w.shape[0]!; i++)
          for (let j = 0; j < w.shape[1]!; j++)
            for (let k = 0; k < r; k++) out[i * w.shape[1]! + j] += f.u.data[i * f.u.cols + k]! * f.s[k]! * f.vt.data[k * f.vt.cols + j]!;
        return { shape: [...w.shape], data: out };
      },
    };
    const base = {
      id: 'lr',
      name: 'low rank',
      description: 'test',
      decomposition: { decompose() {}, reconstruct() {}, paramCount() {}, resolveRanks() {} },
      projector: lowRank,
    } as unknown as FormatPlugin;
    const p = atmcPlugin(base, { sparsity: 0.5, bits: 4 });
    expect(p.id).toBe('atmc-lr');
    expect(p.decomposition).toBe(base.decomposition);
    const rng = new Rng(3);
    const w: DenseTensor = { shape: [6, 4], data: Float64Array.from({ length: 24 }, () => rng.normal()) };
    const t = target({ sparsity: 0.5, bits: 4 });
    const z = p.projector.project(w, t);
    // the same as applying the three in order by hand
    const byHand = quantizeValues(lowRank.project(magnitudeProjector({ sparsity: 0.5 }).project(w, t), t).data, 4);
    expect(Array.from(z.data)).toEqual(Array.from(byHand));
    // on the 4-bit grid: at most 15 distinct values
    expect(new Set(z.data).size).toBeLessThanOrEqual(15);
    // registerAtmc rewrites the plan and registers the derived format once
    const reg = createRegistry();
    reg.register(base);
    const plan = registerAtmc({ version: 1, layers: { fc1: { format: 'lr', ranks: [2] } } }, { sparsity: 0.5, bits: 8 }, reg);
    expect(plan.layers.fc1).toMatchObject({ format: 'atmc-lr', options: { sparsity: 0.5, bits: 8 } });
    expect(reg.get('atmc-lr')?.name).toBe('ATMC (low rank)');
    expect(() => registerAtmc(plan, { bits: 1 }, reg)).toThrow(/bits 1/);
  });
});
