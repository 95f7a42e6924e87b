import { describe, expect, it } from 'vitest';
import { createRegistry, resolvePlugin, type Factors } from '@tensorslim/core';
import { Rng, relError, type DenseTensor } from '@tensorslim/linalg';
import { atd, atdPlugin, registerAtd, type AtdMeta } from '../src/index.js';

const N = 60;
const I = 8;
const J = 10;
const R = 3;

/** X = Σ_r a_r ∘ b_r ∘ c_r + noise·N(0, 1), with the planted B and C. */
function planted(seed: number, noise: number): { x: DenseTensor; b: Float64Array; c: Float64Array } {
  const rng = new Rng(seed);
  const a = rng.normalArray(N * R);
  const b = rng.normalArray(I * R);
  const c = rng.normalArray(J * R);
  const data = new Float64Array(N * I * J);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      for (let j = 0; j < J; j++) {
        let s = 0;
        for (let r = 0; r < R; r++) s += a[n * R + r]! * b[i * R + r]! * c[j * R + r]!;
        data[(n * I + i) * J + j] = s + noise * rng.normal();
      }
    }
  }
  return { x: { shape: [N, I, J], data }, b, c };
}

/** |cos| of column p of u (rows × R) and column q of v. */
function colCos(u: ArrayLike<number>, v: ArrayLike<number>, rows: number, p: number, q: number): number {
  let uv = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < rows; i++) {
    uv += u[i * R + p]! * v[i * R + q]!;
    uu += u[i * R + p]! ** 2;
    vv += v[i * R + q]! ** 2;
  }
  return Math.abs(uv) / Math.sqrt(uu * vv);
}

/** The smallest, over planted components, of the best congruence |cos b|·|cos c| with a fitted one. */
function worstCongruence(f: Factors, b: Float64Array, c: Float64Array): number {
  let worst = 1;
  for (let p = 0; p < R; p++) {
    let best = 0;
    for (let q = 0; q < R; q++) best = Math.max(best, colCos(b, f.cores[1]!.data, I, p, q) * colCos(c, f.cores[2]!.data, J, p, q));
    worst = Math.min(worst, best);
  }
  return worst;
}

describe('atd on a tensor with planted CP structure', () => {
  it('recovers the planted factors from a random start by stochastic alternating optimization', () => {
    const { x, b, c } = planted(4, 0.01);
    const f = atd(x, R, { init: 'random', epochs: 150, batchSize: 20, learningRate: 0.03, alpha: 0.05, augment: ['jitter'], jitterSigma: 0.02, seed: 2 });
    const meta = f.meta as unknown as AtdMeta;
    expect(meta.history).toHaveLength(150);
    expect(meta.history[149]!.reconstruction).toBeLessThan(meta.history[0]!.reconstruction / 10);
    expect(relError(x, atdPlugin.decomposition.reconstruct(f))).toBeLessThan(0.02);
    expect(worstCongruence(f, b, c)).toBeGreaterThan(0.99);
  });

  it('epochs 0 is the CP-ALS fit, and a few ATD epochs from it keep the fit', () => {
    const { x, b, c } = planted(9, 0.01);
    const cp = atd(x, R, { epochs: 0 });
    expect(relError(x, atdPlugin.decomposition.reconstruct(cp))).toBeLessThan(0.01);
    expect(worstCongruence(cp, b, c)).toBeGreaterThan(0.999);
    const more = atd(x, R, { init: cp, epochs: 5, batchSize: 20, learningRate: 1e-3, augment: ['jitter', 'scale'], seed: 3 });
    expect((more.meta as unknown as AtdMeta).init).toBe('given');
    expect(relError(x, atdPlugin.decomposition.reconstruct(more))).toBeLessThan(0.05);
  });
});

describe('the atd plugin', () => {
  it('registers as format atd and decomposes through the contract, with representations A', () => {
    const reg = createRegistry();
    registerAtd(reg);
    const p = resolvePlugin('atd', reg);
    const { x } = planted(1, 0.01);
    const f = p.decomposition.decompose(x, { ranks: [R] }, { epochs: 1, batchSize: 20 });
    expect(f.ranks).toEqual([R]);
    expect(f.cores.map((t) => t.shape)).toEqual([
      [N, R],
      [I, R],
      [J, R],
    ]);
    expect(p.decomposition.representations!(f).shape).toEqual([N, R]);
    expect(p.decomposition.paramCount(x.shape, [R])).toBe(R * (N + I + J));
    expect(p.decomposition.optionKeys).toContain('augment');
  });

  it('refuses a tensor that is not samples × features × time, an unknown augmentation, and weight projection', () => {
    expect(() => atd({ shape: [4, 5], data: new Float64Array(20) }, 2)).toThrow(/3 modes/);
    const { x } = planted(1, 0);
    expect(() => atd(x, 2, { augment: ['rotate'] })).toThrow(/unknown augmentation "rotate".*jitter/s);
    expect(() => atdPlugin.projector.project(x, {} as never)).toThrow(/not weights/);
  });
});
