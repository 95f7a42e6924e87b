import { describe, expect, it } from 'vitest';
import { Rng, type Matrix } from '@tensorslim/linalg';
import { atdObjective, leastSquaresRepresentations, spdInverse, type AtdBatch } from '../src/index.js';

const M = 5;
const I = 4;
const J = 6;
const R = 3;

function setup(seed: number): { batch: AtdBatch; b: Matrix; c: Matrix } {
  const rng = new Rng(seed);
  const x = rng.normalArray(M * I * J);
  const views = [rng.normalArray(M * I * J), rng.normalArray(M * I * J)] as const;
  for (let i = 0; i < x.length; i++) {
    views[0][i] = x[i]! + 0.3 * views[0][i]!;
    views[1][i] = x[i]! + 0.3 * views[1][i]!;
  }
  return {
    batch: { count: M, rows: I, cols: J, x, views },
    b: { rows: I, cols: R, data: rng.normalArray(I * R) },
    c: { rows: J, cols: R, data: rng.normalArray(J * R) },
  };
}

/** Largest |analytic − central difference| over all entries, relative to the largest gradient entry. */
function fdError(f: (b: Matrix, c: Matrix) => number, grad: { gradB: Matrix; gradC: Matrix }, b: Matrix, c: Matrix): number {
  const h = 1e-6;
  let worst = 0;
  let scale = 0;
  for (const [which, analytic] of [
    [b, grad.gradB],
    [c, grad.gradC],
  ] as const) {
    for (let i = 0; i < which.data.length; i++) {
      const keep = which.data[i]!;
      which.data[i] = keep + h;
      const up = f(b, c);
      which.data[i] = keep - h;
      const down = f(b, c);
      which.data[i] = keep;
      const fd = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - analytic.data[i]!));
      scale = Math.max(scale, Math.abs(analytic.data[i]!));
    }
  }
  return worst / scale;
}

describe('ATD objective', () => {
  it('the reconstruction term is the relative ridge least-squares residual of the batch', () => {
    const { batch, b, c } = setup(3);
    const v = atdObjective(batch, b, c, { alpha: 0, ridge: 1e-6 });
    const a = leastSquaresRepresentations(batch.x, M, I, J, b, c, 1e-6);
    let res = 0;
    let nx = 0;
    for (let m = 0; m < M; m++) {
      for (let i = 0; i < I; i++) {
        for (let j = 0; j < J; j++) {
          let s = 0;
          for (let r = 0; r < R; r++) s += a.data[m * R + r]! * b.data[i * R + r]! * c.data[j * R + r]!;
          const xv = batch.x[(m * I + i) * J + j]!;
          res += (xv - s) ** 2;
          nx += xv * xv;
        }
      }
    }
    let ridge = 0;
    for (const w of a.data) ridge += 1e-6 * w * w;
    expect(v.reconstruction).toBeCloseTo((res + ridge) / nx, 12);
    expect(v.reconstruction).toBeGreaterThan(0.1); // rank 3 cannot fit 5 random 4×6 samples
    expect(v.selfSupervised).toBe(0);
  });

  it.each([0, 0.7, 3])('gradients match central differences in float64 (alpha %s)', (alpha) => {
    const { batch, b, c } = setup(11);
    const opts = { alpha, temperature: 0.4, ridge: 1e-3 };
    const g = atdObjective(batch, b, c, opts);
    if (alpha > 0) expect(g.selfSupervised).toBeGreaterThan(0.1);
    const err = fdError((bb, cc) => atdObjective(batch, bb, cc, opts).loss, g, b, c);
    expect(err).toBeLessThan(1e-6);
  });

  it('the self-supervised term alone has the gradient of its finite differences', () => {
    const { batch, b, c } = setup(5);
    const opts = { alpha: 1, temperature: 0.3, ridge: 1e-3 };
    const rec = (bb: Matrix, cc: Matrix) => atdObjective(batch, bb, cc, { ...opts, alpha: 0 });
    const both = atdObjective(batch, b, c, opts);
    const r0 = rec(b, c);
    const sslGrad = {
      gradB: { ...both.gradB, data: both.gradB.data.map((v, i) => v - r0.gradB.data[i]!) },
      gradC: { ...both.gradC, data: both.gradC.data.map((v, i) => v - r0.gradC.data[i]!) },
    };
    const err = fdError((bb, cc) => atdObjective(batch, bb, cc, opts).selfSupervised, sslGrad, b, c);
    expect(err).toBeLessThan(1e-6);
  });

  it('identical views of well separated samples give a small InfoNCE term, swapped views a large one', () => {
    const { batch, b, c } = setup(7);
    const same = atdObjective({ ...batch, views: [batch.x, batch.x] }, b, c, { alpha: 1, temperature: 0.1 });
    const swapped = new Float64Array(batch.x.length);
    for (let m = 0; m < M; m++) swapped.set(batch.x.subarray(((m + 1) % M) * I * J, (((m + 1) % M) + 1) * I * J), m * I * J);
    const wrong = atdObjective({ ...batch, views: [batch.x, swapped] }, b, c, { alpha: 1, temperature: 0.1 });
    expect(same.selfSupervised).toBeLessThan(wrong.selfSupervised - 1);
  });

  it('spdInverse inverts a positive definite matrix and refuses an indefinite one', () => {
    const g: Matrix = { rows: 3, cols: 3, data: Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]) };
    const inv = spdInverse(g);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += g.data[i * 3 + k]! * inv.data[k * 3 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
    expect(() => spdInverse({ rows: 2, cols: 2, data: Float64Array.from([1, 2, 2, 1]) })).toThrow(/not positive definite/);
  });
});
