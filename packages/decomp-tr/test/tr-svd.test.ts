import { describe, expect, it } from 'vitest';
import { Rng, relError, sizeOf, type DenseTensor } from '@tensorslim/linalg';
import {
  maxRankTrRanks as maxRankRanks,
  ratioTrRanks as ratioRanks,
  trParamCount,
  trReconstruct,
  resolveTrRanks as trResolveRanks,
  trSvd,
  validateTrRanks,
} from '../src/index.js';
import { fixtureCases, fixtureTensor, ringTensor, thrown } from './helpers.js';

describe('TR-SVD: exact recovery of ring tensors', () => {
  const cases: [number[], number[], number][] = [
    [[4, 5, 6, 3], [2, 2, 3, 2], 0],
    [[3, 4, 5, 4, 3], [1, 2, 3, 2, 2], 0],
    [[6, 7], [2, 3], 0],
    [[4, 6, 5, 4], [2, 3, 2, 2], 2],
  ];
  for (const [shape, gen, start] of cases) {
    it(`shape [${shape}] built at ranks [${gen}], start mode ${start}`, () => {
      const A = ringTensor(7 + shape.length, shape, gen);
      // sufficient ranks: the start split at the generating ranks, the later ranks clamped to the data
      const big = shape.map(() => 1000);
      big[start] = gen[start]!;
      big[(start + 1) % shape.length] = gen[(start + 1) % shape.length]!;
      const f = trSvd(A, { ranks: big }, { startMode: start, svd: 'exact' });
      expect(relError(A, trReconstruct(f))).toBeLessThan(1e-9);
      // the clamped ranks are what the cores hold
      expect(f.cores.map((c) => c.shape)).toEqual(shape.map((n, k) => [f.ranks[k], n, f.ranks[(k + 1) % shape.length]]));
      if (shape.length > 2) expect(f.ranks.some((r, k) => r < big[k]!)).toBe(true);
      // eps finds ranks that recover it too
      const g = trSvd(A, { eps: 1e-12 }, { startMode: start });
      expect(relError(A, trReconstruct(g))).toBeLessThan(1e-9);
    });
  }
});

describe('TR-SVD against the numpy fixtures (make_fixtures.py)', () => {
  it('the fixture holds its 12 cases', () => {
    expect(fixtureCases()).toHaveLength(12);
  });
  for (const c of fixtureCases()) {
    it(`${c.tensor} ${JSON.stringify(c.spec)} start ${c.startMode}`, () => {
      const A = fixtureTensor(c.tensor);
      const f = trSvd(A, c.spec, { startMode: c.startMode, svd: 'exact' });
      expect(f.ranks).toEqual(c.ranks);
      const err = relError(A, trReconstruct(f));
      expect(Math.abs(err - c.relError)).toBeLessThanOrEqual(1e-8 * c.relError);
    });
  }
});

describe('TR-SVD rank specs', () => {
  const A = fixtureTensor('decay');

  it('eps: the error bound holds and the ranks grow as eps shrinks', () => {
    const params = [0.5, 0.3, 0.1, 0.03, 0.01].map((eps) => {
      const f = trSvd(A, { eps });
      const err = relError(A, trReconstruct(f));
      expect(err).toBeLessThanOrEqual(eps);
      expect(err).toBeLessThanOrEqual((f.meta!.errorBound as number) * (1 + 1e-9));
      return trParamCount(A.shape, f.ranks);
    });
    for (let i = 1; i < params.length; i++) expect(params[i]).toBeGreaterThanOrEqual(params[i - 1]!);
    expect(params[0]).toBeLessThan(params[params.length - 1]!); // they do grow
  });

  it('maxRank caps every rank and fits the first split', () => {
    const r = maxRankRanks([6, 6, 6, 6], 4);
    expect(r).toEqual([2, 3, 4, 4]);
    const f = trSvd(A, { maxRank: 4 });
    expect(f.ranks).toEqual(r);
    expect(maxRankRanks([16, 16, 9, 16, 16], 4)).toEqual([4, 4, 4, 4, 4]);
  });

  it('ratio: reaches the ratio, and no single rank can be raised within it', () => {
    for (const [shape, ratio] of [
      [[6, 6, 6, 6], 5],
      [[16, 16, 9, 16, 16], 40],
      [[8, 8, 9, 8, 8], 3],
    ] as [number[], number][]) {
      const r = ratioRanks(shape, ratio);
      const N = sizeOf(shape);
      expect(N / trParamCount(shape, r)).toBeGreaterThanOrEqual(ratio);
      // every rank that the shape lets grow by one breaks the ratio (a rank the clamp holds
      // back, or that validateTrRanks refuses, cannot be raised at all)
      const raisable = r
        .map((_, k) => r.map((v, j) => (j === k ? v + 1 : v)))
        .filter((up, k) => {
          try {
            return validateTrRanks(shape, up)[k] === up[k];
          } catch {
            return false;
          }
        });
      expect(raisable.length, `[${shape}]: some rank can be raised`).toBeGreaterThan(0);
      for (const up of raisable) expect(N / trParamCount(shape, up)).toBeLessThan(ratio);
    }
    const f = trSvd(A, { ratio: 5 });
    expect(sizeOf(A.shape) / trParamCount(A.shape, f.ranks)).toBeGreaterThanOrEqual(5);
  });

  it('resolveRanks agrees with what decompose uses, including eps', () => {
    expect(trResolveRanks(A.shape, { ranks: [2, 2, 50, 50] })).toEqual(trSvd(A, { ranks: [2, 2, 50, 50] }).ranks);
    expect(trResolveRanks(A.shape, { eps: 0.2 }, { tensor: A })).toEqual([2, 2, 8, 6]);
    expect(thrown(() => trResolveRanks(A.shape, { eps: 0.2 })).code).toBe('TS_RANK');
  });

  it('larger ranks are clamped to what the data allows', () => {
    // [6,6,6,6] from mode 0: r2 ≤ r1·6, r3 ≤ min(r2·6, 6·r0)
    expect(validateTrRanks([6, 6, 6, 6], [2, 3, 40, 40])).toEqual([2, 3, 18, 12]);
  });
});

describe('TR-SVD bad input', () => {
  const A: DenseTensor = ringTensor(3, [4, 5, 6], [2, 2, 2]);
  it('wrong number of ranks', () => {
    const e = thrown(() => trSvd(A, { ranks: [2, 2] }));
    expect(e.code).toBe('TS_RANK');
    expect(e.message).toMatch(/2 ranks given for a 3-mode tensor/);
    expect(e.message).toMatch(/give 3 ring ranks/);
  });
  it('non-positive or fractional ranks', () => {
    expect(thrown(() => trSvd(A, { ranks: [2, 0, 2] })).code).toBe('TS_RANK');
    expect(thrown(() => trSvd(A, { ranks: [2, -1, 2] })).code).toBe('TS_RANK');
    expect(thrown(() => validateTrRanks(A.shape, [2, 1.5, 2])).code).toBe('TS_RANK');
  });
  it('r_m·r_(m+1) larger than the start unfolding: names start modes and ranks that fit', () => {
    // mode 0 unfolding is 4 × 30: r0·r1 = 3·2 = 6 > 4; mode 1 (5 × 24): r1·r2 = 2·2 = 4 fits
    const e = thrown(() => trSvd(A, { ranks: [3, 2, 2] }));
    expect(e.code).toBe('TS_RANK');
    expect(e.message).toMatch(/r0·r1 = 3·2 = 6, more than the 4 it allows/);
    expect(e.message).toMatch(/start at mode 1 or 2/);
    expect(e.message).toMatch(/r0 = 2, r1 = 2/);
    expect(e.details?.allowedStartModes).toEqual([1, 2]);
    // and the suggestion works
    const f = trSvd(A, { ranks: [3, 2, 2] }, { startMode: 1 });
    expect(f.ranks).toEqual([3, 2, 2]);
  });
  it('a bad start mode', () => {
    expect(thrown(() => trSvd(A, { ranks: [2, 2, 2] }, { startMode: 3 })).code).toBe('TS_OPTION');
  });
  it('NaN or Inf in the tensor', () => {
    const bad = { shape: A.shape, data: A.data.slice() };
    bad.data[7] = NaN;
    expect(thrown(() => trSvd(bad, { ranks: [2, 2, 2] })).code).toBe('TS_NON_FINITE');
    bad.data[7] = Infinity;
    expect(thrown(() => trSvd(bad, { maxRank: 2 })).code).toBe('TS_NON_FINITE');
  });
  it('auto is not offered, a 1-mode tensor is not a ring, unreachable ratios say what is reachable', () => {
    expect(thrown(() => trSvd(A, { auto: true })).code).toBe('TS_RANK');
    expect(thrown(() => trSvd({ shape: [5], data: new Float64Array(5) }, { ranks: [1] })).code).toBe('TS_SHAPE');
    const e = thrown(() => trSvd(A, { ratio: 100 }));
    expect(e.code).toBe('TS_RANK');
    expect(e.message).toMatch(/ratio ≤ 8\.00/);
  });
  it('randomized SVD (sampled) stays close to exact on a low-rank ring', () => {
    const B = ringTensor(11, [64, 8, 8], [2, 2, 2]);
    const f = trSvd(B, { ranks: [2, 2, 16] }, { svd: 'randomized', rng: new Rng(3) });
    expect(relError(B, trReconstruct(f))).toBeLessThan(1e-9);
  });
});
