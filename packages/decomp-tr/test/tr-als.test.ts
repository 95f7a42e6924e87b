import { describe, expect, it } from 'vitest';
import { type Factors } from '@tensorslim/core';
import { relError, Rng } from '@tensorslim/linalg';
import { trAls, trDecompose, trReconstruct, trSvd } from '../src/index.js';
import { fixtureTensor, randomCores, ringTensor, thrown } from './helpers.js';

describe('TR-ALS', () => {
  it('beats TR-SVD where the ring is exact but the TR-SVD split is not optimal', () => {
    for (const [A, ranks] of [
      [fixtureTensor('ring_exact'), [2, 2, 3, 2]],
      [ringTensor(21, [4, 5, 6, 5], [2, 2, 2, 2]), [2, 2, 2, 2]],
      [ringTensor(22, [5, 4, 3, 4, 5], [2, 2, 2, 3, 2]), [2, 2, 2, 3, 2]],
    ] as const) {
      const f = trSvd(A, { ranks: [...ranks] }, { svd: 'exact' });
      const eSvd = relError(A, trReconstruct(f));
      expect(eSvd).toBeGreaterThan(1e-3); // TR-SVD at the generating ranks is not exact
      const g = trAls(A, f, { maxSweeps: 60, tol: 1e-10 });
      const eAls = relError(A, trReconstruct(g));
      expect(eAls).toBeLessThan(0.1 * eSvd);
      expect(g.meta!.relError).toBeCloseTo(eAls, 12);
      expect(g.meta!.relErrorStart).toBeCloseTo(eSvd, 12);
      expect(g.ranks).toEqual(f.ranks);
    }
  });

  it('never ends worse than TR-SVD (random and noisy tensors, short and long runs)', () => {
    const cases: [string, number[]][] = [
      ['rand4', [2, 3, 3, 2]],
      ['rand5', [2, 2, 4, 3, 2]],
      ['ring_noisy', [2, 2, 3, 2]],
      ['decay', [2, 2, 4, 4]],
      ['conv_like', [2, 2, 3]],
    ];
    for (const [name, ranks] of cases) {
      const A = fixtureTensor(name);
      const f = trSvd(A, { ranks }, { svd: 'exact' });
      const eSvd = relError(A, trReconstruct(f));
      for (const maxSweeps of [1, 3, 8]) {
        const g = trAls(A, f, { maxSweeps });
        const eAls = relError(A, trReconstruct(g));
        expect(eAls).toBeLessThanOrEqual(eSvd);
        expect(g.meta!.alsSweeps).toBeLessThanOrEqual(maxSweeps);
      }
    }
  });

  it('keeps the start when it is already exact, and with 0 sweeps', () => {
    const A = ringTensor(5, [4, 5, 6], [2, 2, 2]);
    const f = trSvd(A, { ranks: [2, 2, 100] });
    expect(relError(A, trReconstruct(f))).toBeLessThan(1e-12);
    const g = trAls(A, f, { maxSweeps: 5 });
    expect(relError(A, trReconstruct(g))).toBeLessThan(1e-12);
    const h = trAls(A, trSvd(A, { ranks: [2, 2, 2] }), { maxSweeps: 0 });
    expect(h.meta!.alsSweeps).toBe(0);
  });

  it('solves exactly through an ill-conditioned subchain (condition number ~1e9)', () => {
    // An exact ring whose core 1 has two nearly equal left slices (Z1[1] = Z1[0] + 1e-9·E), so the
    // subchain Z1·Z2 that core 0 is solved against has nearly parallel columns. Starting from a
    // random core 0, one exact least-squares solve recovers the tensor; normal equations (which
    // square the condition number to ~1e18) leave errors around 1e-8 here.
    const shape = [4, 5, 6];
    for (const seed of [9, 10, 11]) {
      const rng = new Rng(seed);
      const cores = randomCores(rng, shape, [2, 2, 2]);
      const z1 = cores[1]!.data;
      for (let i = 0; i < 10; i++) z1[10 + i] = z1[i]! + 1e-9 * rng.normal();
      const A = trReconstruct({ format: 'tr', shape, ranks: [2, 2, 2], cores });
      const init: Factors = {
        format: 'tr',
        shape,
        ranks: [2, 2, 2],
        cores: [{ shape: [2, 4, 2], data: rng.normalArray(16) }, cores[1]!, cores[2]!],
      };
      expect(relError(A, trReconstruct(init))).toBeGreaterThan(0.5);
      const g = trAls(A, init, { maxSweeps: 1 });
      expect(relError(A, trReconstruct(g))).toBeLessThan(1e-12);
    }
  });

  it('through trDecompose with alsSweeps, and bad options', () => {
    const A = fixtureTensor('ring_exact');
    const a = trDecompose(A, { ranks: [2, 2, 3, 2] });
    const b = trDecompose(A, { ranks: [2, 2, 3, 2] }, { alsSweeps: 5 });
    expect(relError(A, trReconstruct(b))).toBeLessThan(relError(A, trReconstruct(a)));
    expect(thrown(() => trDecompose(A, { ranks: [2, 2, 3, 2] }, { alsSweeps: -1 })).code).toBe('TS_OPTION');
    expect(thrown(() => trAls(A, a, { tol: -1 })).code).toBe('TS_OPTION');
    const wrong = trSvd(fixtureTensor('rand4'), { ranks: [2, 2, 2, 2] });
    expect(thrown(() => trAls(A, wrong)).code).toBe('TS_SHAPE');
  });
});
