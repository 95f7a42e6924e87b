import { describe, expect, it } from 'vitest';
import { frobNorm, relError, Rng, tensor, type DenseTensor } from '@tensorslim/linalg';
import {
  hooi,
  hosvd,
  tuckerReconstruct as reconstructTucker,
  resolveTuckerRanks,
  tucker,
  tuckerParamCount,
  validateTuckerRanks,
  type TuckerMeta,
} from '../src/index.js';
import { fixtures, orthoError, orthonormal, projector, randomTucker, relDiff } from './helpers.js';

const fx = fixtures();

describe('exact recovery from a random core and orthonormal factors', () => {
  const cases: [string, number[], number[], number[]][] = [
    ['full 3-mode', [7, 8, 9], [0, 1, 2], [3, 4, 2]],
    ['partial on a 4-mode tensor', [6, 5, 4, 7], [0, 3], [2, 3]],
    ['Tucker-2 of a conv layout [Cout, kh·kw, Cin]', [16, 9, 12], [0, 2], [5, 4]],
    ['one mode', [10, 6, 5], [1], [2]],
  ];
  for (const [name, shape, modes, ranks] of cases) {
    it(`${name}: HOSVD and HOOI < 1e-10`, () => {
      const { x } = randomTucker(new Rng(shape.length * 31 + ranks[0]!), shape, modes, ranks);
      for (const f of [hosvd(x, { ranks }, { modes }), hooi(x, { ranks }, { modes }), tucker(x, { ranks }, { modes, svd: 'exact' })]) {
        expect(f.ranks).toEqual(ranks);
        expect(f.cores).toHaveLength(modes.length + 1);
        expect((f.meta as unknown as TuckerMeta).modes).toEqual(modes);
        expect(relError(x, reconstructTucker(f))).toBeLessThan(1e-10);
        modes.forEach((m, i) => expect(orthoError(f.cores[i + 1]!.data, shape[m]!, ranks[i]!)).toBeLessThan(1e-12));
      }
    });
  }

  it('ranks above the true ones still recover it, and ranks above the mode sizes are clamped', () => {
    const shape = [5, 6, 7];
    const { x } = randomTucker(new Rng(5), shape, [0, 1, 2], [2, 3, 3]);
    const f = hooi(x, { ranks: [4, 4, 9] });
    expect(f.ranks).toEqual([4, 4, 7]);
    expect(relError(x, reconstructTucker(f))).toBeLessThan(1e-10);
    // the product rule: r_0 ≤ r_1·r_2 etc. — [5, 1, 7] cannot keep mode 0 at 5
    expect(validateTuckerRanks(shape, [5, 1, 7]).ranks).toEqual([5, 1, 5]);
  });
});

describe('against numpy (test/fixtures/make_fixtures.py)', () => {
  it('the fixture holds its 3 Tucker cases', () => {
    expect(fx.tucker).toHaveLength(3);
  });
  for (const c of fx.tucker) {
    const x = tensor(c.shape, c.x);
    it(`${c.name}: HOSVD agrees with numpy's to 1e-8`, () => {
      const f = hosvd(x, { ranks: c.ranks }, { modes: c.modes });
      expect(relDiff(c.hosvd.reconstruction, reconstructTucker(f).data)).toBeLessThan(1e-8);
      expect(f.cores).toHaveLength(c.modes.length + 1);
      expect(c.hosvd.factors).toHaveLength(c.modes.length);
      c.modes.forEach((m, i) => {
        const n = c.shape[m]!;
        const r = c.ranks[i]!;
        const ours = projector(f.cores[i + 1]!.data, n, r);
        const theirs = projector(Float64Array.from(c.hosvd.factors[i]!), n, r);
        expect(relDiff(theirs, ours)).toBeLessThan(1e-8);
      });
      expect(relError(x, reconstructTucker(f))).toBeCloseTo(c.hosvd.relError, 10);
    });
    it(`${c.name}: HOOI's error ≤ HOSVD's and within 1e-6 of numpy's HOOI`, () => {
      const s = hosvd(x, { ranks: c.ranks }, { modes: c.modes });
      const f = hooi(x, { ranks: c.ranks }, { modes: c.modes, maxSweeps: c.sweeps, tol: 0 });
      const meta = f.meta as unknown as TuckerMeta;
      expect(meta.sweeps).toBe(c.sweeps);
      const eHooi = relError(x, reconstructTucker(f));
      const eHosvd = relError(x, reconstructTucker(s));
      expect(eHooi).toBeLessThanOrEqual(eHosvd + 1e-15);
      expect(eHooi).toBeLessThan(eHosvd); // these fixtures are noisy: HOOI strictly improves
      expect(Math.abs(eHooi - c.hooi.relError) / c.hooi.relError).toBeLessThan(1e-6);
      expect(relDiff(c.hooi.reconstruction, reconstructTucker(f).data)).toBeLessThan(1e-6);
      // the per-sweep error estimates follow numpy's, one per sweep
      expect(meta.errors).toHaveLength(c.hooi.errors.length);
      expect(meta.errors).toHaveLength(c.sweeps);
      meta.errors.forEach((e, k) => expect(Math.abs(e - c.hooi.errors[k]!)).toBeLessThan(1e-7));
    });
  }

  it('HOOI stops on the tolerance and never raises the error', () => {
    const c = fx.tucker[2]!;
    const x = tensor(c.shape, c.x);
    const f = hooi(x, { ranks: c.ranks }, { modes: c.modes, tol: 1e-4, maxSweeps: 50 });
    const meta = f.meta as unknown as TuckerMeta;
    expect(meta.converged).toBe(true);
    expect(meta.sweeps).toBeLessThan(50);
    expect(meta.errors).toHaveLength(meta.sweeps);
    expect(meta.sweeps).toBeGreaterThan(1);
    for (let k = 1; k < meta.errors.length; k++) expect(meta.errors[k]!).toBeLessThanOrEqual(meta.errors[k - 1]! + 1e-12);
    const g = hooi(x, { ranks: c.ranks }, { modes: c.modes, maxSweeps: 3, tol: 0 });
    expect((g.meta as unknown as TuckerMeta).sweeps).toBe(3);
    expect((g.meta as unknown as TuckerMeta).converged).toBe(false);
  });

  it('exact, randomized and Gram (auto) leading vectors give the same HOOI', () => {
    const c = fx.tucker[0]!;
    const x = tensor(c.shape, c.x);
    const a = reconstructTucker(hooi(x, { ranks: c.ranks }, { maxSweeps: 30, tol: 0 }));
    const e = reconstructTucker(hooi(x, { ranks: c.ranks }, { maxSweeps: 30, tol: 0, svd: 'exact' }));
    const r = reconstructTucker(hooi(x, { ranks: c.ranks }, { maxSweeps: 30, tol: 0, svd: 'randomized', rng: new Rng(3) }));
    expect(relDiff(e.data, a.data)).toBeLessThan(1e-10);
    expect(relDiff(e.data, r.data)).toBeLessThan(1e-8);
  });
});

describe('accuracy of the Gram route', () => {
  it('falls back to an exact SVD when the truncation falls in the Gram rounding zone', () => {
    // a 30×40 matrix with singular values 10^(-i/2): from rank 16 on (σ_r ≤ 1e-8) the Gram's
    // eigenvalues (σ² ≤ 1e-16) are rounding noise; the truncation error must still be the SVD's
    const rng = new Rng(12);
    const n = 30;
    const m = 40;
    const sv = Array.from({ length: n }, (_, i) => 10 ** (-i / 2));
    const u = orthonormal(rng, n, n);
    const v = orthonormal(rng, m, n);
    const data = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let k = 0; k < n; k++) data[i * m + j] += u[i * n + k]! * sv[k]! * v[j * n + k]!;
    const x = tensor([n, m], data);
    for (const r of [4, 10, 14, 16, 20]) {
      const tail = Math.sqrt(sv.slice(r).reduce((s, a) => s + a * a, 0) / sv.reduce((s, a) => s + a * a, 0));
      for (const svd of ['auto', 'exact'] as const) {
        const e = relError(x, reconstructTucker(hosvd(x, { ranks: [r] }, { modes: [0], svd })));
        expect(Math.abs(e - tail) / tail).toBeLessThan(1e-6);
      }
    }
  });
});

describe('rank specs', () => {
  const rng = new Rng(11);
  const x: DenseTensor = tensor([8, 6, 9], rng.normalArray(8 * 6 * 9));

  it('maxRank caps every decomposed mode', () => {
    expect(tucker(x, { maxRank: 5 }).ranks).toEqual([5, 5, 5]);
    expect(tucker(x, { maxRank: 7 }, { modes: [0, 2] }).ranks).toEqual([7, 7]);
    expect(tucker(x, { maxRank: 7 }, { modes: [1, 2] }).ranks).toEqual([6, 7]);
    expect(resolveTuckerRanks(x.shape, { maxRank: 100 }, { modes: [1] })).toEqual([6]);
  });

  it('ratio: the largest ranks that reach it', () => {
    for (const ratio of [1.5, 2, 5, 10]) {
      const r = resolveTuckerRanks(x.shape, { ratio });
      const size = 8 * 6 * 9;
      expect(size / tuckerParamCount(x.shape, r)).toBeGreaterThanOrEqual(ratio);
      // raising any rank breaks the ratio, unless the clamp takes it back (r_i ≤ ∏ others)
      const raised = r
        .map(
          (_, i) =>
            validateTuckerRanks(
              x.shape,
              r.map((v, j) => (j === i ? v + 1 : v)),
            ).ranks,
        )
        .filter((up) => up.some((v, j) => v !== r[j]));
      expect(raised.length, `ratio ${ratio}: some rank can be raised`).toBeGreaterThan(0);
      for (const up of raised) expect(size / tuckerParamCount(x.shape, up)).toBeLessThan(ratio);
    }
    expect(() => resolveTuckerRanks(x.shape, { ratio: 1000 })).toThrow(/out of reach/);
  });

  it('eps: the error bound holds and one rank less would break the HOSVD bound', () => {
    const { x: lr } = randomTucker(new Rng(4), [10, 9, 8], [0, 1, 2], [4, 3, 5]);
    const noisy = tensor(
      lr.shape,
      lr.data.map((v) => v + 1e-3 * rng.normal()),
    );
    for (const eps of [0.3, 0.1, 0.01]) {
      for (const f of [hosvd(noisy, { eps }), hooi(noisy, { eps })]) {
        expect(relError(noisy, reconstructTucker(f))).toBeLessThanOrEqual(eps);
      }
    }
    // the noise is 1e-3 of each entry: at eps 0.01 the true ranks are found, and one rank less in
    // any mode breaks the bound (the eps ranks are the smallest that meet it)
    expect(hosvd(noisy, { eps: 0.01 }).ranks).toEqual([4, 3, 5]);
    for (const less of [
      [3, 3, 5],
      [4, 2, 5],
      [4, 3, 4],
    ]) {
      expect(relError(noisy, reconstructTucker(hosvd(noisy, { ranks: less }))), `ranks [${less}]`).toBeGreaterThan(0.01);
    }
    expect(hosvd(lr, { eps: 1e-12 }).ranks).toEqual([4, 3, 5]);
  });

  it('the resolved ranks depend on the data only for eps and auto', () => {
    expect(() => resolveTuckerRanks([4, 4], { eps: 0.1 })).toThrow(/depends on the data/);
    expect(() => resolveTuckerRanks([4, 4], { auto: true })).toThrow(/depends on the data/);
    expect(resolveTuckerRanks([4, 5], { ranks: ['min(3, d)', 2] })).toEqual([2, 2]);
  });

  it('paramCount: core plus factors', () => {
    expect(tuckerParamCount([10, 9, 8], [2, 3, 4])).toBe(2 * 3 * 4 + 10 * 2 + 9 * 3 + 8 * 4);
    expect(tuckerParamCount([256, 9, 256], [64, 64], [0, 2])).toBe(64 * 9 * 64 + 2 * 256 * 64);
  });
});

describe('bad input', () => {
  const x = tensor([4, 5, 6], new Rng(1).normalArray(120));
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return 'no error';
  };
  it('rank errors', () => {
    expect(code(() => tucker(x, { ranks: [2, 2] }))).toBe('TS_RANK');
    expect(code(() => tucker(x, { ranks: [2, 2, 2] }, { modes: [0, 1] }))).toBe('TS_RANK');
    expect(code(() => tucker(x, { ranks: [2, 0, 2] }))).toBe('TS_RANK');
    expect(code(() => validateTuckerRanks([4, 5], [2, 1.5]))).toBe('TS_RANK');
    expect(code(() => tucker(x, { auto: 'magic' }))).toBe('TS_RANK');
    expect(code(() => tucker(x, { ratio: -1 }))).toBe('TS_RANK');
    expect(code(() => tucker(x, {} as never))).toBe('TS_RANK');
    expect(() => tucker(x, { ranks: [2, 2] })).toThrow(/one rank per decomposed mode/);
  });
  it('mode and option errors', () => {
    expect(code(() => tucker(x, { ranks: [2] }, { modes: [3] }))).toBe('TS_SHAPE');
    expect(code(() => tucker(x, { ranks: [2, 2] }, { modes: [1, 1] }))).toBe('TS_OPTION');
    expect(code(() => tucker(x, { ranks: [2] }, { modes: [] }))).toBe('TS_OPTION');
    expect(code(() => tucker(x, { ranks: [2, 2, 2] }, { maxSweeps: -1 }))).toBe('TS_OPTION');
    expect(code(() => tucker(x, { ranks: [2, 2, 2] }, { method: 'cp' as never }))).toBe('TS_OPTION');
    expect(code(() => tucker(x, { ranks: [2, 2, 2] }, { svd: 'lapack' as never }))).toBe('TS_OPTION');
  });
  it('tensor errors', () => {
    const bad = tensor([2, 2], [1, NaN, 0, 1]);
    expect(code(() => tucker(bad, { ranks: [1, 1] }))).toBe('TS_NON_FINITE');
    expect(code(() => tucker({ shape: [2, 3], data: new Float64Array(5) }, { ranks: [1, 1] }))).toBe('TS_SHAPE');
  });
  it('factor errors', () => {
    const f = hosvd(x, { ranks: [2, 2, 2] });
    expect(code(() => reconstructTucker({ ...f, format: 'tt' }))).toBe('TS_FACTOR');
    expect(code(() => reconstructTucker({ ...f, cores: f.cores.slice(0, 3) }))).toBe('TS_FACTOR');
    expect(code(() => reconstructTucker({ ...f, cores: [f.cores[0]!, f.cores[2]!, f.cores[1]!, f.cores[3]!] }))).toBe('TS_FACTOR');
    expect(code(() => reconstructTucker({ ...f, ranks: [2, 2] }))).toBe('TS_RANK');
  });
});

describe('edge cases', () => {
  it('a zero tensor decomposes to zeros', () => {
    const z = tensor([3, 4, 5]);
    const f = hooi(z, { ranks: [2, 2, 2] });
    expect(frobNorm(reconstructTucker(f))).toBe(0);
    modesOrtho(f.cores.slice(1).map((c) => [c.data, c.shape[0]!, c.shape[1]!] as const));
  });
  it('full ranks reproduce the tensor', () => {
    const x = tensor([3, 4, 5], new Rng(2).normalArray(60));
    expect(relError(x, reconstructTucker(hooi(x, { ranks: [3, 4, 5] })))).toBeLessThan(1e-13);
  });
});

function modesOrtho(fs: (readonly [Float64Array, number, number])[]) {
  for (const [u, n, r] of fs) expect(orthoError(u, n, r)).toBeLessThan(1e-12);
}
