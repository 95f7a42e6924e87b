import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerTarget, Regularizer } from '@tensorslim/core';
import { createRegistry, registerProjector, registerRegularizer } from '@tensorslim/core';
import { createAdmmSolver } from '@tensorslim/admm';
import { topKProjector } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A test regularizer: c_i = strength / (w_i² + 1), settings from the target. */
const inverse: Regularizer = {
  id: 'inverse-sq',
  coefficients: (w, t) => ({ shape: [...w.shape], data: w.data.map((x) => (t.options['strength'] as number) / (x * x + 1)) }),
};

const target = (name: string, format: string, options: Record<string, unknown>): LayerTarget => ({
  name,
  format,
  layout: { kind: 'dense', kernelShape: [2, 3], outModes: [3], inModes: [2] },
  ranks: { maxRank: 1 },
  options,
});

describe('AdmmSolver with a regularizer resolved by id', () => {
  it('adds c ⊙ W to the gradient, re-estimates c at each update, and leaves ADMM layers as they were', async () => {
    const reg = createRegistry();
    registerRegularizer(inverse, reg);
    registerProjector(topKProjector, reg);
    const w = [1, -2, 0.5, 3, 0, -1];
    const a = tf.variable(tf.tensor(w, [2, 3]), true, 'reg_a');
    const b = tf.variable(tf.tensor(w, [2, 3]), true, 'reg_b');
    const solver = createAdmmSolver(
      [
        { name: 'a', target: target('a', 'inverse-sq', { strength: 2 }), variable: a },
        { name: 'b', target: target('b', 'topk', { k: 2 }), variable: b },
      ],
      { rho: 0.5, updateEvery: 1 },
      reg,
    );
    await solver.initialize();
    const c0 = w.map((x) => 2 / (x * x + 1));
    const g = tf.tidy(() => solver.augmentGradients({ reg_a: tf.zeros([2, 3]), reg_b: tf.zeros([2, 3]) }));
    Array.from(g['reg_a']!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(c0[i]! * w[i]!, 6));
    // the ADMM layer: ρ(W − Z), Z = top-2 of W (3 and −2)
    const z = [0, -2, 0, 3, 0, 0];
    Array.from(g['reg_b']!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(0.5 * (w[i]! - z[i]!), 6));
    // penalty: ½Σ c w² + (ρ/2)‖W − Z‖², and its gradient is what augmentGradients adds
    const pen = solver.penalty().dataSync()[0]!;
    const want = 0.5 * w.reduce((s, x, i) => s + c0[i]! * x * x, 0) + 0.25 * w.reduce((s, x, i) => s + (x - z[i]!) ** 2, 0);
    expect(pen).toBeCloseTo(want, 5);
    const auto = tf.variableGrads(() => solver.penalty(), [a]).grads['reg_a']!;
    Array.from(auto.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(c0[i]! * w[i]!, 5));

    a.assign(tf.tensor([0, -2, 0.5, 3, 0, -1], [2, 3]));
    const rec = await solver.update({ epoch: 0, step: 1 });
    const c1 = [0, -2, 0.5, 3, 0, -1].map((x) => 2 / (x * x + 1));
    const ga = tf.tidy(() => solver.augmentGradients({ reg_a: tf.zeros([2, 3]) }))['reg_a']!;
    Array.from(ga.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(c1[i]! * [0, -2, 0.5, 3, 0, -1][i]!, 6));
    const layerA = rec.layers.find((l) => l.name === 'a')!;
    expect(layerA.primal).toBe(0);
    const dc = Math.sqrt(c1.reduce((s, x, i) => s + (x - c0[i]!) ** 2, 0)) / Math.sqrt(c1.reduce((s, x) => s + x * x, 0));
    expect(layerA.dual).toBeCloseTo(dc, 12);
    // a regularized layer has no set: its "projected" weight is W itself
    expect(Array.from((await solver.projectWeights()).get('a')!.data)).toEqual([0, -2, 0.5, 3, 0, -1]);
    // state round trip restores the coefficients
    const state = solver.exportState();
    a.assign(tf.tensor([5, 5, 5, 5, 5, 5], [2, 3]));
    solver.importState(state);
    const gr = tf.tidy(() => solver.augmentGradients({ reg_a: tf.zeros([2, 3]) }))['reg_a']!;
    Array.from(gr.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(c1[i]! * 5, 5));
    solver.dispose();
  });

  it('refuses coefficients that are negative or of the wrong size, naming the layer', async () => {
    const reg = createRegistry();
    registerRegularizer({ id: 'neg', coefficients: (w) => ({ shape: w.shape, data: w.data.map(() => -1) }) }, reg);
    const v = tf.variable(tf.ones([2, 3]), true, 'reg_neg');
    const s = createAdmmSolver([{ name: 'n', target: target('n', 'neg', {}), variable: v }], {}, reg);
    await expect(s.initialize()).rejects.toThrow(/coefficient -1 for layer "n"/);
  });
});
