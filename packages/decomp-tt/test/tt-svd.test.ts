import { describe, expect, it } from 'vitest';
import { isTensorslimError } from '@tensorslim/core';
import { frobNorm, relError, sizeOf, type DenseTensor } from '@tensorslim/linalg';
import { clampTtRanks, resolveTtRanks, ttParamCount, ttReconstruct, ttSvd, validateTtRanks, type TtStepKind } from '../src/index.js';
import { fixtureCases, fixtureTensor, randn, randomTtTensor } from './helpers.js';

function expectCode(f: () => unknown, code: string, msg?: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isTensorslimError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    if (msg) expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

describe('TT-SVD: exact recovery', () => {
  const cases: [number[], number[]][] = [
    [
      [4, 5, 3, 6],
      [1, 3, 4, 2, 1],
    ],
    [
      [7, 1, 5, 2, 3],
      [1, 2, 2, 3, 2, 1],
    ],
    [
      [9, 11],
      [1, 4, 1],
    ],
    [
      [2, 3, 2, 3, 2, 3],
      [1, 2, 3, 3, 3, 2, 1],
    ],
  ];
  for (const [shape, ranks] of cases) {
    it(`recovers a random TT tensor [${shape}] at ranks [${ranks}]`, () => {
      const a = randomTtTensor(shape, ranks, 11);
      for (const spec of [{ ranks }, { maxRank: Math.max(...ranks) }, { eps: 1e-12 }] as const) {
        for (const svd of ['auto', 'exact', 'randomized'] as const) {
          const f = ttSvd(a, spec, { svd });
          expect(relError(a, ttReconstruct(f))).toBeLessThan(1e-10);
          if ('eps' in spec) expect(f.ranks).toEqual(ranks); // the exact TT ranks are found
          // cores 0..d-2 are left-orthonormal
          for (let k = 0; k < shape.length - 1; k++) {
            const c = f.cores[k]!;
            const rows = c.shape[0]! * c.shape[1]!;
            const r = c.shape[2]!;
            for (let i = 0; i < r; i++)
              for (let j = 0; j < r; j++) {
                let s = 0;
                for (let p = 0; p < rows; p++) s += c.data[p * r + i]! * c.data[p * r + j]!;
                expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-10);
              }
          }
        }
      }
    });
  }
  it('takes the randomized path on a low-rank unfolding and agrees with the exact one', () => {
    const a = randomTtTensor([40, 30, 36], [1, 3, 4, 1], 5);
    const r = ttSvd(a, { ranks: [1, 3, 4, 1] }, { svd: 'randomized' });
    expect((r.meta!.steps as TtStepKind[]).includes('randomized')).toBe(true);
    const e = ttSvd(a, { ranks: [1, 3, 4, 1] }, { svd: 'exact' });
    expect((e.meta!.steps as TtStepKind[]).includes('randomized')).toBe(false);
    expect(relError(a, ttReconstruct(r))).toBeLessThan(1e-10);
    expect(relError(ttReconstruct(e), ttReconstruct(r))).toBeLessThan(1e-10);
  });
  it('falls back to the exact SVD when the randomized one cannot be certified (flat spectrum)', () => {
    const a = randn([40, 30, 36], 6);
    const r = ttSvd(a, { ranks: [1, 3, 4, 1] }, { svd: 'randomized' });
    const e = ttSvd(a, { ranks: [1, 3, 4, 1] }, { svd: 'exact' });
    expect(r.meta!.steps).toEqual(e.meta!.steps);
    expect(Math.abs(relError(a, ttReconstruct(r)) / relError(a, ttReconstruct(e)) - 1)).toBeLessThan(1e-12);
  });
  it('does not share the input buffer with its cores', () => {
    const a = randn([3, 4], 1);
    const f = ttSvd(a, { ranks: [1, 3, 1] });
    expect(f.cores.some((c) => c.data === a.data)).toBe(false);
  });
});

describe('TT-SVD vs an independent numpy TT-SVD (fixtures/make_fixtures.py)', () => {
  it('the fixture holds its 37 cases', () => {
    expect(fixtureCases()).toHaveLength(37);
  });
  for (const c of fixtureCases()) {
    it(`${c.name} [${c.shape}] ${JSON.stringify(c.spec)} → ranks [${c.ranks}]`, () => {
      const a = fixtureTensor(c);
      expect(a.shape).toEqual(c.shape);
      for (const svd of ['auto', 'exact', 'randomized'] as const) {
        const f = ttSvd(a, c.spec, { svd });
        expect(f.ranks).toEqual(c.ranks);
        expect(ttParamCount(c.shape, f.ranks)).toBe(c.params);
        const err = relError(a, ttReconstruct(f));
        if (c.relError > 1e-6) expect(Math.abs(err / c.relError - 1)).toBeLessThan(1e-8);
        else expect(err).toBeLessThan(Math.max(1e-12, 10 * c.relError + 1e-14));
      }
    });
  }
  it('covers primes, size-1 modes, d = 2 and d = 6, and unfoldings wider than 32 both ways', () => {
    const shapes = fixtureCases().map((c) => c.shape);
    expect(
      shapes.some(
        (s) =>
          Math.min(
            s[0]!,
            s.slice(1).reduce((a, b) => a * b, 1),
          ) > 32,
      ),
    ).toBe(true);
    expect(shapes.some((s) => s.length === 2)).toBe(true);
    expect(shapes.some((s) => s.length === 6)).toBe(true);
    expect(shapes.some((s) => s.includes(1))).toBe(true);
    expect(shapes.some((s) => s.includes(11) && s.includes(7))).toBe(true);
  });
});

describe('the ε guarantee ‖A − TT(A)‖ ≤ ε‖A‖', () => {
  const grid = (shape: number[], f: (idx: number[]) => number): DenseTensor => {
    const n = sizeOf(shape);
    const data = new Float64Array(n);
    const idx = new Array<number>(shape.length).fill(0);
    for (let p = 0; p < n; p++) {
      data[p] = f(idx);
      for (let ax = shape.length - 1; ax >= 0; ax--) {
        if (++idx[ax]! < shape[ax]!) break;
        idx[ax] = 0;
      }
    }
    return { shape, data };
  };
  const tensors: [string, DenseTensor][] = [
    ['random [6,7,5,8]', randn([6, 7, 5, 8], 3)],
    ['random [3,2,4,3,2,5]', randn([3, 2, 4, 3, 2, 5], 4)],
    ['Hilbert [6,6,6,6]', grid([6, 6, 6, 6], (i) => 1 / (1 + i.reduce((a, b) => a + b, 0)))],
    ['exp(-|x|) [8,8,8]', grid([8, 8, 8], (i) => Math.exp(-Math.sqrt(i[0]! ** 2 + i[1]! ** 2 + i[2]! ** 2) / 4))],
    [
      'low rank + noise [7,8,9]',
      (() => {
        const a = randomTtTensor([7, 8, 9], [1, 3, 3, 1], 9);
        const z = randn([7, 8, 9], 10);
        const s = (1e-2 * frobNorm(a)) / frobNorm(z);
        return { shape: a.shape, data: a.data.map((v, i) => v + s * z.data[i]!) };
      })(),
    ],
  ];
  for (const [name, a] of tensors) {
    it(name, () => {
      const params: number[] = [];
      for (const eps of [0.5, 0.2, 0.05, 1e-2, 1e-4, 1e-8]) {
        const f = ttSvd(a, { eps });
        const err = relError(a, ttReconstruct(f));
        expect(err).toBeLessThanOrEqual(eps * (1 + 1e-12));
        params.push(ttParamCount(a.shape, f.ranks));
      }
      // smaller eps never gives fewer parameters, and the loosest eps really truncates (a TT-SVD
      // that ignored eps and kept every rank would meet each bound above)
      for (let i = 1; i < params.length; i++) expect(params[i]).toBeGreaterThanOrEqual(params[i - 1]!);
      expect(params[0]).toBeLessThan(params[params.length - 1]!);
    });
  }
});

describe('rank specs', () => {
  it('ratio: reaches the ratio with the largest uniform rank', () => {
    const shape = [8, 8, 9, 8, 8];
    const a = randn(shape, 2);
    for (const ratio of [2, 3, 5, 10, 40]) {
      const ranks = resolveTtRanks(shape, { ratio });
      const f = ttSvd(a, { ratio });
      expect(f.ranks).toEqual(ranks);
      const params = ttParamCount(shape, ranks);
      expect(sizeOf(shape) / params).toBeGreaterThanOrEqual(ratio);
      const r = Math.max(...ranks);
      const bigger = clampTtRanks(shape, [1, r + 1, r + 1, r + 1, r + 1, 1]);
      expect(sizeOf(shape) / ttParamCount(shape, bigger)).toBeLessThan(ratio);
    }
    expectCode(() => resolveTtRanks(shape, { ratio: 1e6 }), 'TS_RANK', /cannot be reached/);
  });
  it('explicit ranks are clamped to what the shape allows', () => {
    expect(clampTtRanks([4, 3, 5], [1, 50, 50, 1])).toEqual([1, 4, 5, 1]);
    expect(resolveTtRanks([2, 3, 4], { ranks: [1, 9, 9, 1] })).toEqual([1, 2, 4, 1]);
    expect(resolveTtRanks([16, 16, 9, 16, 16], { maxRank: 16 })).toEqual([1, 16, 16, 16, 16, 1]);
    expect(resolveTtRanks([256, 256, 3, 3], { ranks: [1, 16, 16, 16, 1] })).toEqual([1, 16, 9, 3, 1]);
    expect(ttSvd(randn([256, 4, 3, 3], 1), { ranks: [1, 16, 16, 16, 1] }).ranks).toEqual([1, 16, 9, 3, 1]);
  });
  it('eps ranks need the data', () => {
    expectCode(() => resolveTtRanks([3, 4], { eps: 0.1 }), 'TS_RANK', /depend on the data/);
    const a = randomTtTensor([5, 6, 7], [1, 2, 3, 1], 1);
    expect(resolveTtRanks([5, 6, 7], { eps: 1e-10 }, { tensor: a })).toEqual([1, 2, 3, 1]);
  });
  it('validateTtRanks: wrong length, r0/rd ≠ 1, non-positive → TS_RANK saying the expected length', () => {
    expectCode(() => validateTtRanks([4, 4, 4], [1, 2, 1]), 'TS_RANK', /needs d\+1 = 4 \(r0\.\.r3\)/);
    expectCode(() => validateTtRanks([4, 4, 4], [2, 2, 2, 1]), 'TS_RANK', /r0 = r3 = 1/);
    expectCode(() => validateTtRanks([4, 4, 4], [1, 2, 2, 3]), 'TS_RANK', /r0 = r3 = 1/);
    expectCode(() => validateTtRanks([4, 4, 4], [1, 0, 2, 1]), 'TS_RANK', /r1 = 0/);
    expectCode(() => validateTtRanks([4, 4, 4], [1, 2.5, 2, 1]), 'TS_RANK', /not a positive integer/);
    expectCode(() => ttSvd(randn([4, 4, 4], 1), { ranks: [1, 2, 1] }), 'TS_RANK', /needs d\+1 = 4/);
    expectCode(() => ttParamCount([4, 4], [1, 2, 2, 1]), 'TS_RANK');
    expectCode(() => ttSvd(randn([4, 4], 1), { auto: true }), 'TS_RANK', /no automatic/);
    expect(validateTtRanks([4, 4, 4], [1, 'min(cin, 3)', 2, 1], 'r', { cin: 8 })).toEqual([1, 3, 2, 1]);
  });
  it('NaN or Inf in the tensor → TS_NON_FINITE', () => {
    const a = randn([3, 4], 1);
    a.data[5] = NaN;
    expectCode(() => ttSvd(a, { maxRank: 2 }), 'TS_NON_FINITE');
    a.data[5] = -Infinity;
    expectCode(() => ttSvd(a, { maxRank: 2 }), 'TS_NON_FINITE', /Inf/);
  });
  it('paramCount is the sum of the core sizes', () => {
    const f = ttSvd(randn([3, 5, 7], 1), { ranks: [1, 2, 3, 1] });
    expect(ttParamCount([3, 5, 7], f.ranks)).toBe(f.cores.reduce((a, c) => a + c.data.length, 0));
    expect(ttParamCount([3, 5, 7], [1, 2, 3, 1])).toBe(3 * 2 + 2 * 5 * 3 + 3 * 7);
  });
});
