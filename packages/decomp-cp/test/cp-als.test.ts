import { describe, expect, it } from 'vitest';
import { factorsFromJson, factorsToJson } from '@tensorslim/core';
import { relError, Rng, tensor, type DenseTensor } from '@tensorslim/linalg';
import { cpAls, cpAlsAtRank, cpDecomposition, cpParamCount, maxCpRank, cpReconstruct as reconstructCp, resolveCpRanks, type CpAlsMeta } from '../src/index.js';
import { codeOf, cpTensor, randomFactors } from './helpers.js';

const meta = (f: { meta?: unknown }) => f.meta as CpAlsMeta & { epsReached?: boolean };

describe('CP-ALS recovers exact low-rank tensors', () => {
  it.each([
    { shape: [6, 5, 7], r: 3, seed: 11 },
    { shape: [8, 9, 6], r: 4, seed: 12 },
    { shape: [4, 5, 3, 6], r: 3, seed: 13 },
  ])('shape $shape at the true rank $r from the HOSVD init', ({ shape, r, seed }) => {
    const x = cpTensor(randomFactors(shape, r, seed));
    const f = cpAls(x, { ranks: [r] }, { sweeps: 500 });
    expect(f.format).toBe('cp');
    expect(f.ranks).toEqual([r]);
    expect(f.cores.map((c) => c.shape)).toEqual([...shape.map((s) => [s, r]), [r]]);
    const err = relError(x, reconstructCp(f));
    expect(err).toBeLessThan(1e-6);
    // the error ALS reports is the error of what reconstruct returns
    expect(Math.abs(meta(f).relError - err)).toBeLessThan(1e-12);
    // unit-norm columns, weights descending
    for (const c of f.cores.slice(0, -1)) {
      for (let col = 0; col < r; col++) {
        let s = 0;
        for (let i = 0; i < c.shape[0]!; i++) s += c.data[i * r + col]! ** 2;
        expect(Math.abs(s - 1)).toBeLessThan(1e-12);
      }
    }
    const lam = Array.from(f.cores[f.cores.length - 1]!.data);
    expect(lam).toEqual([...lam].sort((a, b) => b - a));
  });

  it('from a perturbed copy of the true factors (a good init) the error falls to rounding level', () => {
    const shape = [7, 6, 5];
    const truth = randomFactors(shape, 4, 21);
    const x = cpTensor(truth);
    const rng = new Rng(5);
    const init = truth.map((t) => ({ shape: t.shape, data: t.data.map((v) => v + 0.05 * rng.normal()) }));
    const f = cpAls(x, { ranks: [4] }, { init, sweeps: 200 });
    expect(meta(f).init).toBe('given');
    expect(relError(x, reconstructCp(f))).toBeLessThan(1e-10);
  });

  it('the error never increases from sweep to sweep (ALS is monotone) and a seeded random init is reproducible', () => {
    const x = cpTensor(randomFactors([6, 7, 5], 5, 31));
    const noisy = tensor(
      x.shape,
      x.data.map((v, i) => v + 0.3 * Math.sin(i)),
    );
    const a = cpAls(noisy, { ranks: [3] }, { init: 'random', seed: 7, sweeps: 40, tol: 0 });
    const b = cpAls(noisy, { ranks: [3] }, { init: 'random', seed: 7, sweeps: 40, tol: 0 });
    const c = cpAls(noisy, { ranks: [3] }, { init: 'random', seed: 8, sweeps: 40, tol: 0 });
    const h = meta(a).history;
    expect(h).toHaveLength(40);
    for (let i = 1; i < h.length; i++) expect(h[i]!).toBeLessThanOrEqual(h[i - 1]! * (1 + 1e-12));
    expect(Array.from(a.cores[0]!.data)).toEqual(Array.from(b.cores[0]!.data));
    expect(Array.from(a.cores[0]!.data)).not.toEqual(Array.from(c.cores[0]!.data));
  });

  it('stops on tol: fewer sweeps than the limit and converged = true', () => {
    const x = cpTensor(randomFactors([5, 6, 4], 2, 41));
    const noisy = tensor(
      x.shape,
      x.data.map((v, i) => v + 0.2 * Math.cos(3 * i)),
    );
    const f = cpAls(noisy, { ranks: [2] }, { sweeps: 500, tol: 1e-6 });
    expect(meta(f).converged).toBe(true);
    expect(meta(f).sweeps).toBeLessThan(500);
    const h = meta(f).history;
    expect(h[h.length - 2]! - h[h.length - 1]!).toBeLessThanOrEqual(1e-6 * h[h.length - 2]!);
  });

  it('rank above the size of a mode: HOSVD init fills the missing columns randomly, all R terms are used', () => {
    // shape [2, 9, 8] with rank 5 > 2: an exact rank-5 tensor (a slow "swamp" for ALS)
    const x = cpTensor(randomFactors([2, 9, 8], 5, 51));
    const f = cpAls(x, { ranks: [5] }, { sweeps: 300, tol: 0 });
    const rank2 = meta(cpAls(x, { ranks: [2] }, { sweeps: 300 })).relError;
    const err = relError(x, reconstructCp(f));
    expect(err).toBeLessThan(2e-2);
    expect(err).toBeLessThan(rank2 / 10); // zero-filled columns would stay zero and fit like rank 2
    expect(f.cores[3]!.data).toHaveLength(5);
    expect(Array.from(f.cores[3]!.data).every((l) => l > 1e-3)).toBe(true);
  });

  it('the zero tensor decomposes to zero weights', () => {
    const z = tensor([3, 4, 2]);
    const f = cpAls(z, { ranks: [2] });
    expect(Array.from(f.cores[3]!.data)).toEqual([0, 0]);
    expect(Array.from(reconstructCp(f).data).every((v) => v === 0)).toBe(true);
  });

  it('factors survive factorsToJson / factorsFromJson', () => {
    const x = cpTensor(randomFactors([4, 3, 5], 2, 61));
    const f = cpAls(x, { ranks: [2] });
    const back = factorsFromJson(JSON.parse(JSON.stringify(factorsToJson(f))));
    expect(relError(reconstructCp(f), reconstructCp(back))).toBe(0);
  });
});

describe('rank specs', () => {
  const shape = [8, 9, 6];
  it('explicit ranks: [R], clamped to min_n ∏_{k≠n} I_k', () => {
    expect(maxCpRank(shape)).toBe(48); // min(54, 48, 72)
    expect(resolveCpRanks(shape, { ranks: [5] })).toEqual([5]);
    expect(resolveCpRanks(shape, { ranks: [100] })).toEqual([48]);
    expect(cpDecomposition.resolveRanks([2, 3], { ranks: [7] })).toEqual([2]);
    const x = cpTensor(randomFactors([2, 3], 2, 3));
    const f = cpAls(x, { ranks: [7] });
    expect(f.ranks).toEqual([2]);
    expect(meta(f).requestedRank).toBe(7);
  });
  it('maxRank', () => {
    expect(resolveCpRanks(shape, { maxRank: 7 })).toEqual([7]);
    expect(resolveCpRanks(shape, { maxRank: 1000 })).toEqual([48]);
  });
  it('ratio: the largest R with entries / (R·ΣI) ≥ ratio', () => {
    // 432 entries, 23 parameters per rank
    const [r] = resolveCpRanks(shape, { ratio: 4 });
    expect(r).toBe(4); // 432/4 = 108 ≥ 4·23 = 92, < 5·23 = 115
    expect(432 / cpParamCount(shape, [r!])).toBeGreaterThanOrEqual(4);
    expect(432 / cpParamCount(shape, [r! + 1])).toBeLessThan(4);
    expect(codeOf(() => resolveCpRanks(shape, { ratio: 100 }))).toBe('TS_RANK');
  });
  it('eps: the smallest R whose fit reaches the tolerance', () => {
    const x = cpTensor(randomFactors([6, 5, 7], 3, 71));
    // this tensor needs ~200 sweeps at R = 3 to fall below 1e-6 (linear convergence, rate ≈ 0.92)
    const opts = { sweeps: 500 };
    expect(resolveCpRanks(x.shape, { eps: 1e-6 }, { tensor: x, ...opts })).toEqual([3]);
    const f = cpAls(x, { eps: 1e-6 }, opts);
    expect(f.ranks).toEqual([3]);
    expect(meta(f).epsReached).toBe(true);
    expect(relError(x, reconstructCp(f))).toBeLessThanOrEqual(1e-6);
    // R = 2 does not reach it
    expect(meta(cpAls(x, { ranks: [2] }, opts)).relError).toBeGreaterThan(1e-6);
    // the cap: stop at rankCap and say so
    const capped = cpAls(x, { eps: 1e-6 }, { ...opts, rankCap: 2 });
    expect(capped.ranks).toEqual([2]);
    expect(meta(capped).epsReached).toBe(false);
    // eps ≥ 1 is met by rank 1
    expect(cpAls(x, { eps: 1 }).ranks).toEqual([1]);
  });
  it('paramCount is R·ΣI_k', () => {
    expect(cpDecomposition.paramCount([8, 9, 6], [5])).toBe(5 * 23);
    expect(cpDecomposition.paramCount([2, 3], [10])).toBe(2 * 5); // clamped to 2
  });
});

describe('bad input', () => {
  const x: DenseTensor = cpTensor(randomFactors([4, 3, 5], 2, 81));
  it.each([
    ['rank 0', { ranks: [0] }],
    ['a negative rank', { ranks: [-2] }],
    ['a fractional rank', { ranks: [2.5] }],
    ['two ranks', { ranks: [2, 3] }],
    ['no rank', { ranks: [] }],
    ['auto', { auto: true }],
    ['maxRank 0', { maxRank: 0 }],
    ['a negative ratio', { ratio: -1 }],
    ['two kinds at once', { ranks: [2], maxRank: 3 }],
  ])('%s → TS_RANK', (_what, spec) => {
    expect(codeOf(() => cpDecomposition.decompose(x, spec as never))).toBe('TS_RANK');
    expect(codeOf(() => cpDecomposition.resolveRanks(x.shape, spec as never, { tensor: x }))).toBe('TS_RANK');
  });
  it('the messages say what was wrong and what to do', () => {
    expect(() => cpAls(x, { ranks: [2, 3] })).toThrow(/CP takes one rank, got 2.*pass ranks: \[R\]/);
    expect(() => cpAls(x, { ranks: [0] })).toThrow(/CP rank 0 is not a positive integer/);
    expect(() => resolveCpRanks(x.shape, { eps: 0.1 })).toThrow(/eps rank spec depends on the data/);
  });
  it('paramCount and reconstruct check ranks and factors too', () => {
    expect(codeOf(() => cpDecomposition.paramCount([4, 3], [0]))).toBe('TS_RANK');
    expect(codeOf(() => cpDecomposition.paramCount([4, 3], [1, 2]))).toBe('TS_RANK');
    const f = cpAls(x, { ranks: [2] });
    expect(codeOf(() => reconstructCp({ ...f, ranks: [3] }))).toBe('TS_SHAPE');
    expect(codeOf(() => reconstructCp({ ...f, cores: f.cores.slice(0, 3) }))).toBe('TS_SHAPE');
    expect(codeOf(() => reconstructCp({ ...f, format: 'tt' }))).toBe('TS_SHAPE');
  });
  it('non-finite data, a 1-mode tensor, wrong init shapes and bad options', () => {
    const bad = tensor([2, 2], [1, NaN, 0, 1]);
    expect(codeOf(() => cpAls(bad, { ranks: [1] }))).toBe('TS_NON_FINITE');
    expect(codeOf(() => cpAls(tensor([5], [1, 2, 3, 4, 5]), { ranks: [1] }))).toBe('TS_SHAPE');
    expect(codeOf(() => cpAls(x, { ranks: [2] }, { init: [tensor([4, 2])] }))).toBe('TS_SHAPE');
    expect(codeOf(() => cpAls(x, { ranks: [2] }, { init: 'nope' as never }))).toBe('TS_OPTION');
    expect(codeOf(() => cpAls(x, { ranks: [2] }, { sweeps: 0 }))).toBe('TS_OPTION');
    expect(codeOf(() => cpAlsAtRank(x, 0))).toBe('TS_RANK');
  });
});
