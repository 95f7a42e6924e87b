import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerTarget, Projector } from '@tensorslim/core';
import { createRegistry, isTensorslimError, registerPlugin, registerProjector } from '@tensorslim/core';
import {
  ADMM_SOLVER,
  AdmmSolver,
  admmContainer,
  PROJECTOR_RESOLVER,
  admmTrain,
  createAdmmSolver,
  makeLoss,
  registerAdmm,
  rhoAfter,
  type AdmmSolverFactory,
  type ProgressEvent,
} from '@tensorslim/admm';
import { classificationSource, lowRankPlugin, mlp, topKProjector } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const target = (
  name: string,
  format: string,
  kernelShape: number[],
  options: Record<string, unknown> = {},
  ranks: LayerTarget['ranks'] = { maxRank: 1 },
): LayerTarget => ({
  name,
  format,
  layout: { kind: 'dense', kernelShape, outModes: [kernelShape[1]!], inModes: [kernelShape[0]!] },
  ranks,
  options,
});

function topk(w: Float64Array, k: number): Float64Array {
  const idx = Array.from(w.keys()).sort((i, j) => Math.abs(w[j]!) - Math.abs(w[i]!) || i - j);
  const out = new Float64Array(w.length);
  for (const i of idx.slice(0, k)) out[i] = w[i]!;
  return out;
}
const norm = (a: ArrayLike<number>, b?: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x, i) => s + (x - (b ? b[i]! : 0)) ** 2, 0));

describe('AdmmSolver: the scaled-form updates, exactly', () => {
  it('Z₀ = Π(W), U₀ = 0; then Z = Π(W + U), U += W − Z, primal and dual residuals', async () => {
    const c = createRegistry();
    registerProjector(topKProjector, c);
    const w0 = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) * (i + 1));
    const v = tf.variable(tf.tensor(Float32Array.from(w0), [4, 3]), true, 'exact_w');
    const solver = createAdmmSolver([{ name: 'd', target: target('d', 'topk', [4, 3], { k: 5 }), variable: v }], { rho: 0.3 }, c);
    await solver.initialize();
    const w0f = Float64Array.from(Float32Array.from(w0));
    expect(Array.from(solver.getZ('d').data)).toEqual(Array.from(topk(w0f, 5)));
    expect(Array.from(solver.getU('d').data)).toEqual(new Array(12).fill(0));

    let zPrev = topk(w0f, 5);
    let u = new Float64Array(12);
    for (const step of [1, 2]) {
      const w = Float64Array.from(Float32Array.from({ length: 12 }, (_, i) => Math.cos(i * step) * 3 + i * 0.1));
      v.assign(tf.tensor(Float32Array.from(w), [4, 3]));
      const rec = await solver.update({ epoch: step - 1, step });
      const z = topk(
        Float64Array.from(w, (x, i) => x + u[i]!),
        5,
      );
      const primal = norm(w, z) / norm(w);
      const dual = 0.3 * norm(z, zPrev);
      u = Float64Array.from(u, (x, i) => x + w[i]! - z[i]!);
      expect(Array.from(solver.getZ('d').data)).toEqual(Array.from(z));
      expect(solver.getU('d').data).toHaveLength(12);
      solver.getU('d').data.forEach((x, i) => expect(x).toBeCloseTo(u[i]!, 12));
      expect(rec.layers[0]!.primal).toBeCloseTo(primal, 12);
      expect(rec.layers[0]!.dual).toBeCloseTo(dual, 12);
      expect(rec.update).toBe(step);
      zPrev = z;
    }
    solver.dispose();
    v.dispose();
  });

  it('the gradient term ρ(W − Z + U) equals the gradient of the penalty (ρ/2)‖W − Z + U‖²', async () => {
    const c = createRegistry();
    registerPlugin(lowRankPlugin, c);
    const model = mlp(6, [5, 3], { softmax: true, seed: 3 });
    const k1 = model.getLayer('fc1').trainableWeights[0]!.read() as tf.Variable;
    const k2 = model.getLayer('fc2').trainableWeights[0]!.read() as tf.Variable;
    const solver = createAdmmSolver(
      [
        { name: 'fc1', target: target('fc1', 'lowrank', [6, 5], {}, { ranks: [2] }), variable: k1 },
        { name: 'fc2', target: target('fc2', 'lowrank', [5, 3], {}, { ranks: [1] }), variable: k2 },
      ],
      { rho: 0.7 },
      c,
    );
    await solver.initialize();
    k1.assign(tf.add(k1, 0.3)); // move W so that U ≠ 0 after an update
    await solver.update({ epoch: 0, step: 1 });
    k1.assign(tf.mul(k1, 1.1));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const xs = tf.tensor2d(
      Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      [4, 6],
    );
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const loss = makeLoss('crossentropy', 'probabilities', 0.1);
    const f = () => loss(ys, model.apply(xs) as tf.Tensor);
    const plain = tf.variableGrads(f, vars).grads;
    const viaGrad = tf.tidy(() => solver.augmentGradients(tf.variableGrads(f, vars).grads));
    const viaPenalty = tf.variableGrads(() => tf.add(f(), solver.penalty()) as tf.Scalar, vars).grads;
    let changed = 0;
    for (const v of vars) {
      const a = viaGrad[v.name]!.dataSync();
      const b = viaPenalty[v.name]!.dataSync();
      const p = plain[v.name]!.dataSync();
      const scale = Math.max(...Array.from(b, Math.abs));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-6 * scale);
      changed = Math.max(changed, ...Array.from(a, (x, i) => Math.abs(x - p[i]!)));
    }
    expect(changed).toBeGreaterThan(1e-2); // the ADMM term is really there
    // penalty value: (ρ/2) Σ‖W − Z + U‖²
    const expected =
      (0.7 / 2) *
      (['fc1', 'fc2'] as const).reduce((s, n, li) => {
        const w = (li === 0 ? k1 : k2).dataSync();
        const z = solver.getZ(n).data;
        const u = solver.getU(n).data;
        return s + Array.from(w).reduce((t, x, i) => t + (x - z[i]! + u[i]!) ** 2, 0);
      }, 0);
    expect(solver.penalty().dataSync()[0]).toBeCloseTo(expected, 4);
    solver.dispose();
  });
});

describe('ρ schedules', () => {
  it('rhoAfter multiplies by the factor every K updates and caps', () => {
    const s = { factor: 10, every: 2, max: 0.5 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => rhoAfter(1e-3, s, n))).toEqual([1e-3, 1e-3, 1e-2, 1e-2, 0.1, 0.1, 0.5].map((v) => expect.closeTo(v, 15)));
    expect(rhoAfter(1e-3, null, 100)).toBe(1e-3);
  });

  it('the solver follows the schedule and rescales U so that ρ·U is continuous', async () => {
    const c = createRegistry();
    registerProjector(topKProjector, c);
    const v = tf.variable(
      tf.tensor2d([
        [3, -1, 0.5],
        [2, 0.1, -4],
      ]),
      true,
      'sched_w',
    );
    const solver = createAdmmSolver(
      [{ name: 'd', target: target('d', 'topk', [2, 3], { k: 2 }), variable: v }],
      { rho: 0.01, rhoSchedule: { factor: 4, every: 1, max: 0.5 } },
      c,
    );
    await solver.initialize();
    const rhos: number[] = [];
    for (let k = 0; k < 4; k++) {
      const rhoBefore = solver.rho;
      v.assign(tf.add(v, 0.25));
      const z = solver.getZ('d'); // Z_prev
      const u = solver.getU('d');
      const rec = await solver.update({ epoch: k, step: k + 1 });
      rhos.push(rec.rho);
      // U before rescale = U_prev + W − Z; after rescale: × ρ_old/ρ_new
      const w = v.dataSync();
      const zNew = solver.getZ('d').data;
      const uNew = solver.getU('d').data;
      for (let i = 0; i < 6; i++) expect(uNew[i]! * rec.nextRho).toBeCloseTo((u.data[i]! + w[i]! - zNew[i]!) * rhoBefore, 10);
      expect(z.data.length).toBe(6);
    }
    expect(rhos).toEqual([0.01, 0.04, 0.16, 0.5].map((x) => expect.closeTo(x, 12)));
    expect(solver.rho).toBe(0.5);
    solver.dispose();
  });
});

describe('the solver is generic: a projector defined only in this test', () => {
  it('top-k sparsity registered in a container trains with ADMM, unchanged solver', async () => {
    const c = createRegistry();
    registerProjector(topKProjector, c);
    const data = classificationSource(8, 3, 256, 128, 5);
    const model = mlp(8, [16, 3], { softmax: true, seed: 2 });
    const events: ProgressEvent[] = [];
    const k = 24; // of 128 weights
    const r = await admmTrain(
      model,
      data,
      { version: 1, layers: { fc1: { format: 'topk', ranks: { maxRank: 1 }, options: { k } } } },
      {
        container: c,
        epochs: 10,
        lr: 0.05,
        batchSize: 16,
        rho: 0.5,
        rhoSchedule: { factor: 2, every: 1, max: 20 },
        onEvent: (e) => void events.push(e),
      },
    );
    const h = r.solver.history;
    expect(h).toHaveLength(10); // one Z/U update per epoch (the default)
    expect(events.filter((e) => e.type === 'admm-update')).toHaveLength(10);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(160);
    const z = r.solver.getZ('fc1').data;
    expect(Array.from(z).filter((x) => x !== 0)).toHaveLength(k);
    // W is pulled onto the sparse set: ‖W − Z‖/‖W‖ falls from ~0.25 to a few percent
    expect(h[h.length - 1]!.primal).toBeLessThan(0.1);
    expect(h[h.length - 1]!.primal).toBeLessThan(h[0]!.primal / 3);
    const proj = (await r.solver.projectWeights()).get('fc1')!;
    expect(Array.from(proj.data).filter((x) => x !== 0)).toHaveLength(k);
    expect(r.evaluation.accuracy).toBeGreaterThan(0.6);
    r.solver.dispose();
  });

  it('updates every N steps when asked; stops early when both residuals fall under the tolerances', async () => {
    const c = createRegistry();
    registerProjector(topKProjector, c);
    const data = classificationSource(8, 3, 128, 32, 6);
    const plan = { version: 1, layers: { fc1: { format: 'topk', ranks: { maxRank: 1 }, options: { k: 40 } } } };
    const a = await admmTrain(mlp(8, [16, 3], { softmax: true }), data, plan, { container: c, epochs: 3, lr: 0.05, batchSize: 32, updateEvery: 3 });
    expect(a.solver.history.map((u) => u.step)).toEqual([3, 6, 9, 12]);
    a.solver.dispose();
    const b = await admmTrain(mlp(8, [16, 3], { softmax: true }), data, plan, { container: c, epochs: 5, lr: 0.05, batchSize: 32, primalTol: 10, dualTol: 10 });
    expect(b.stoppedEarly).toBe(true);
    expect(b.solver.history).toHaveLength(1);
    expect(b.history).toHaveLength(1);
    b.solver.dispose();
  });
});

describe('construction through tsyringe', () => {
  it('ADMM_SOLVER is a factory registration; PROJECTOR_RESOLVER can be replaced', async () => {
    const c = admmContainer(createRegistry());
    const calls: string[] = [];
    const identity: Projector = { id: 'any', project: (w) => w };
    c.register(PROJECTOR_RESOLVER, { useValue: (id: string) => (calls.push(id), identity) });
    registerAdmm(c);
    const factory = c.resolve<AdmmSolverFactory>(ADMM_SOLVER);
    const v = tf.variable(tf.ones([2, 2]), true, 'di_w');
    const s = factory([{ name: 'x', target: target('x', 'made-up-format', [2, 2]), variable: v }], { rho: 1 });
    expect(s).toBeInstanceOf(AdmmSolver);
    expect(calls).toEqual(['made-up-format']);
    await s.initialize();
    expect((await s.update({ epoch: 0, step: 1 })).primal).toBe(0);
    s.dispose();
  });

  it('an unknown format lists what is registered; a projector returning a wrong shape is caught', async () => {
    const c = createRegistry();
    registerPlugin(lowRankPlugin, c);
    const v = tf.variable(tf.ones([3, 2]), true, 'bad_w');
    try {
      createAdmmSolver([{ name: 'x', target: target('x', 'nope', [3, 2]), variable: v }], {}, c);
      expect.unreachable();
    } catch (e) {
      expect(isTensorslimError(e, 'TS_UNKNOWN_FORMAT')).toBe(true);
      expect(String(e)).toContain('lowrank');
    }
    registerProjector({ id: 'broken', project: (w) => ({ shape: [w.data.length], data: w.data }) }, c);
    const s = createAdmmSolver([{ name: 'x', target: target('x', 'broken', [3, 2]), variable: v }], {}, c);
    await expect(s.initialize()).rejects.toThrow(/broken projector returned shape \[6\] for layer "x"/);
    expect(() => new AdmmSolver([], {}, () => identityProjector)).toThrow(/at least one/);
    expect(() => createAdmmSolver([{ name: 'x', target: target('x', 'lowrank', [3, 2]), variable: v }], { rho: -1 }, c)).toThrow(/rho/);
  });
});
const identityProjector: Projector = { id: 'id', project: (w) => w };
