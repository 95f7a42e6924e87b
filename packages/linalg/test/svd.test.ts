import { afterAll, describe, expect, it } from 'vitest';
import {
  gramSvd,
  matmul,
  matrix,
  qr,
  randomizedSvd,
  Rng,
  setKernelMode,
  svd,
  svdValues,
  truncate,
  truncatedSvd,
  TensorslimError,
  type Matrix,
} from '../src/index.js';
import { fixture, fixtureMatrix, maxAbs, orthErr, reconstruct, relDiff } from './helpers.js';

function qrQ(a: Matrix): Matrix {
  return qr(a).q;
}

const FULL_RANK = ['tall', 'wide', 'square', 'row', 'col', 'decay', 'clustered', 'big_tall'];
const DEFICIENT = ['rankdef', 'rankdef_wide', 'zeros'];

afterAll(() => {
  setKernelMode('auto');
});

describe.each(['auto', 'js'] as const)('exact SVD against numpy (kernels: %s)', (mode) => {
  it.each([...FULL_RANK, ...DEFICIENT])('%s: singular values, reconstruction, orthonormal U and V', (name) => {
    setKernelMode(mode);
    const a = fixtureMatrix(`svd_${name}_a`);
    const ref = fixture(`svd_${name}_s`).data;
    const f = svd(a);
    const k = Math.min(a.rows, a.cols);
    expect(f.u.rows).toBe(a.rows);
    expect(f.u.cols).toBe(k);
    expect(f.vt.rows).toBe(k);
    expect(f.vt.cols).toBe(a.cols);
    expect(f.s.length).toBe(k);
    const smax = Math.max(ref[0]!, 1e-300);
    for (let i = 0; i < k; i++) {
      if (DEFICIENT.includes(name)) expect(Math.abs(f.s[i]! - ref[i]!)).toBeLessThanOrEqual(1e-13 * smax);
      else expect(Math.abs(f.s[i]! - ref[i]!)).toBeLessThanOrEqual(1e-10 * ref[i]!);
      if (i > 0) expect(f.s[i]!).toBeLessThanOrEqual(f.s[i - 1]!);
      expect(f.s[i]!).toBeGreaterThanOrEqual(0);
    }
    expect(relDiff(a, reconstruct(f))).toBeLessThan(1e-12);
    expect(orthErr(f.u)).toBeLessThan(1e-12);
    expect(orthErr(matrix(a.cols, k, transposeData(f.vt)))).toBeLessThan(1e-12);
  });

  it('the singular vectors agree with numpy up to sign where the singular values are distinct', () => {
    setKernelMode(mode);
    for (const name of ['tall', 'decay']) {
      const a = fixtureMatrix(`svd_${name}_a`);
      const u = fixtureMatrix(`svd_${name}_u`);
      const vt = fixtureMatrix(`svd_${name}_vt`);
      const f = svd(a);
      const k = f.s.length;
      for (let c = 0; c < k; c++) {
        let du = 0;
        let dv = 0;
        for (let i = 0; i < a.rows; i++) du += f.u.data[i * k + c]! * u.data[i * k + c]!;
        for (let j = 0; j < a.cols; j++) dv += f.vt.data[c * a.cols + j]! * vt.data[c * a.cols + j]!;
        expect(Math.abs(du)).toBeGreaterThan(1 - 1e-9);
        expect(du * dv).toBeGreaterThan(1 - 1e-9); // same sign pairing
      }
    }
  });

  it('svdValues matches numpy without computing vectors', () => {
    setKernelMode(mode);
    for (const name of [...FULL_RANK, ...DEFICIENT]) {
      const a = fixtureMatrix(`svd_${name}_a`);
      const ref = fixture(`svd_${name}_s`).data;
      const s = svdValues(a);
      expect(s.length).toBe(ref.length);
      for (let i = 0; i < s.length; i++) expect(Math.abs(s[i]! - ref[i]!)).toBeLessThanOrEqual(1e-13 * Math.max(ref[0]!, 1e-300) + 1e-10 * ref[i]!);
    }
  });
});

function transposeData(m: Matrix): Float64Array {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j]!;
  return out;
}

describe('exact SVD, edge cases', () => {
  it('truncates to k and keeps empty shapes', () => {
    const a = fixtureMatrix('svd_tall_a');
    const f = svd(a, { k: 3 });
    expect(f.u.cols).toBe(3);
    expect(f.vt.rows).toBe(3);
    const full = svd(a);
    expect(Array.from(f.s)).toEqual(Array.from(full.s.slice(0, 3)));
    expect(relDiff(reconstruct(truncate(full, 3)), reconstruct(f))).toBeLessThan(1e-13);
    const e = svd(matrix(0, 4));
    expect(e.s.length).toBe(0);
    expect(e.vt.cols).toBe(4);
    expect(svd(a, { k: 0 }).u.cols).toBe(0);
  });
  it('a negative or fractional rank is a TS_RANK error', () => {
    const a = fixtureMatrix('svd_tall_a');
    expect(() => svd(a, { k: -1 })).toThrow(TensorslimError);
    expect(() => truncatedSvd(a, 1.5)).toThrow(/rank 1\.5/);
    expect(() => randomizedSvd(a, -2)).toThrow(expect.objectContaining({ code: 'TS_RANK', message: expect.stringMatching(/-2/) }));
  });
  it('refuses a decomposition whose working memory would not fit, before allocating it', () => {
    const huge = { rows: 40000, cols: 40000, data: new Float64Array(1) };
    expect(() => svd(huge)).toThrow(expect.objectContaining({ code: 'TS_TOO_LARGE', message: expect.stringMatching(/would need 12208 MB of working memory/) }));
  });
  it('handles huge and tiny scales without overflow or underflow', () => {
    const a = fixtureMatrix('svd_square_a');
    const ref = fixture('svd_square_s').data;
    for (const scale of [1e200, 1e-200]) {
      const big = matrix(
        a.rows,
        a.cols,
        a.data.map((v) => v * scale),
      );
      const f = svd(big);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(f.s[i]! / scale - ref[i]!)).toBeLessThan(1e-10 * ref[i]!);
      // the Gram path would square the scale out of range: 'auto' notices and stays exact
      const t = truncatedSvd(big, 5);
      for (let i = 0; i < 5; i++) expect(Math.abs(t.s[i]! / scale - ref[i]!)).toBeLessThan(1e-10 * ref[i]!);
    }
  });
  it('NaN or Inf entries are a TS_NON_FINITE error, not an endless iteration', () => {
    const a = fixtureMatrix('svd_tall_a');
    const bad = matrix(a.rows, a.cols, a.data.slice());
    bad.data[7] = NaN;
    for (const f of [() => svd(bad), () => svdValues(bad), () => truncatedSvd(bad, 3), () => gramSvd(bad, 3), () => randomizedSvd(bad, 1)]) {
      expect(f).toThrow(/contains NaN at flat index 7/);
    }
    bad.data[7] = Infinity;
    expect(() => svd(bad)).toThrow(TensorslimError);
  });
  it('a larger random matrix still reconstructs to rounding', () => {
    const rng = new Rng(11);
    const a = matrix(130, 300, rng.normalArray(130 * 300));
    const f = svd(a);
    expect(relDiff(a, reconstruct(f))).toBeLessThan(1e-13);
    expect(orthErr(f.u)).toBeLessThan(1e-13);
  });
});

describe('truncated SVDs against numpy on decaying spectra', () => {
  const cases = ['geo', 'poly', 'steep'];
  function load(name: string) {
    const a = fixtureMatrix(`trunc_${name}_a`);
    const s = fixture(`trunc_${name}_s`).data;
    const k = fixture(`trunc_${name}_k`).data[0]!;
    const relerr = fixture(`trunc_${name}_relerr`).data[0]!;
    return { a, s, k, relerr };
  }
  function relErrOf(a: Matrix, f: ReturnType<typeof svd>): number {
    return relDiff(a, reconstruct(f));
  }

  it.each(cases)('%s: gramSvd and truncatedSvd(auto) match the exact top-k', (name) => {
    const { a, s, k, relerr } = load(name);
    const runs = [
      { f: truncatedSvd(a, k), tol: 1e-11 },
      { f: gramSvd(a, k), tol: 1e-9 },
      { f: gramSvd(a, k, { refine: true }), tol: 1e-9 },
    ];
    for (const { f, tol } of runs) {
      expect(f.s.length).toBe(k);
      for (let i = 0; i < k; i++) expect(Math.abs(f.s[i]! - s[i]!)).toBeLessThanOrEqual(1e-10 * s[i]! + 1e-15 * s[0]!);
      expect(Math.abs(relErrOf(a, f) - relerr)).toBeLessThanOrEqual(tol * relerr);
      expect(orthErr(f.u)).toBeLessThan(1e-12);
      expect(orthErr(matrix(a.cols, k, transposeData(f.vt)))).toBeLessThan(1e-12);
    }
  });

  it('auto keeps the exact reconstruction error where the Gram matrix would blur it (σ_k ≪ σ_1)', () => {
    // σ_i = 10^(-i/2): at k = 20 the tail starts at 1e-10·σ_1, below the Gram matrix's rounding
    const rng = new Rng(9);
    const m = 60;
    const n = 90;
    const u = qrQ(matrix(m, m, rng.normalArray(m * m)));
    const v = qrQ(matrix(n, m, rng.normalArray(n * m)));
    const a = matmul(
      matrix(
        m,
        m,
        u.data.map((x, i) => x * 10 ** (-(i % m) / 2)),
      ),
      v,
      { transB: true },
    );
    const k = 20;
    const exact = relErrOf(a, svd(a, { k }));
    expect(exact).toBeGreaterThan(1e-11);
    expect(exact).toBeLessThan(1e-9);
    expect(Math.abs(relErrOf(a, truncatedSvd(a, k)) - exact)).toBeLessThanOrEqual(1e-8 * exact);
    // the raw Gram path is off by far more than that here: what 'auto' guards against
    expect(Math.abs(relErrOf(a, gramSvd(a, k, { refine: false })) - exact)).toBeGreaterThan(1e-6 * exact);
  });

  it('geometric decay: randomizedSvd with the default oversampling and 2 power iterations is tight', () => {
    const { a, s, k, relerr } = load('geo');
    const f = randomizedSvd(a, k);
    for (let i = 0; i < k; i++) expect(Math.abs(f.s[i]! - s[i]!)).toBeLessThanOrEqual(1e-10 * s[i]!);
    expect(Math.abs(relErrOf(a, f) - relerr)).toBeLessThanOrEqual(1e-10 * relerr);
    expect(orthErr(f.u)).toBeLessThan(1e-12);
  });

  it('slow (polynomial) decay: more power iterations close the gap to the exact top-k', () => {
    const { a, s, k, relerr } = load('poly');
    const rough = randomizedSvd(a, k, { powerIters: 0, oversample: 2 });
    const tight = randomizedSvd(a, k, { powerIters: 12, oversample: 10 });
    const errRough = Math.abs(relErrOf(a, rough) - relerr) / relerr;
    const errTight = Math.abs(relErrOf(a, tight) - relerr) / relerr;
    expect(errTight).toBeLessThan(1e-8);
    expect(errRough).toBeGreaterThan(10 * errTight);
    for (let i = 0; i < k; i++) expect(Math.abs(tight.s[i]! - s[i]!)).toBeLessThanOrEqual(1e-8 * s[i]!);
  });

  it('randomizedSvd is reproducible with the default seed and finds an exact low-rank matrix', () => {
    const rng = new Rng(2);
    const a = matmul(matrix(200, 5, rng.normalArray(1000)), matrix(5, 150, rng.normalArray(750)));
    const f1 = randomizedSvd(a, 5);
    const f2 = randomizedSvd(a, 5);
    expect(Array.from(f1.s)).toEqual(Array.from(f2.s));
    expect(maxAbs(reconstruct(f1).data.map((v, i) => v - a.data[i]!))).toBeLessThan(1e-11 * maxAbs(a.data));
  });

  it('every method agrees on a matrix with an exact rank below k (the tail is zero)', () => {
    const rng = new Rng(4);
    const a = matmul(matrix(90, 6, rng.normalArray(540)), matrix(6, 120, rng.normalArray(720)));
    const ex = svd(a, { k: 10 });
    for (const method of ['exact', 'gram', 'randomized', 'auto'] as const) {
      const f = truncatedSvd(a, 10, { method });
      expect(relDiff(a, reconstruct(f))).toBeLessThan(1e-12);
      for (let i = 0; i < 6; i++) expect(Math.abs(f.s[i]! - ex.s[i]!)).toBeLessThan(1e-11 * ex.s[0]!);
      for (let i = 6; i < 10; i++) expect(f.s[i]!).toBeLessThan(1e-12 * ex.s[0]!);
      expect(orthErr(f.u)).toBeLessThan(1e-12);
    }
  });

  it('well-conditioned random matrices (the common case): Gram path equals the exact SVD', () => {
    const rng = new Rng(12);
    for (const [m, n, k] of [
      [70, 400, 20],
      [400, 70, 20],
      [48, 48, 48],
    ] as const) {
      const a = matrix(m, n, rng.normalArray(m * n));
      const ex = svd(a, { k });
      for (const f of [gramSvd(a, k), truncatedSvd(a, k)]) {
        for (let i = 0; i < k; i++) expect(Math.abs(f.s[i]! - ex.s[i]!)).toBeLessThan(1e-12 * ex.s[i]!);
        expect(Math.abs(relDiff(a, reconstruct(f)) - relDiff(a, reconstruct(ex)))).toBeLessThan(1e-12);
        expect(orthErr(f.u)).toBeLessThan(1e-13);
        expect(orthErr(matrix(n, k, transposeData(f.vt)))).toBeLessThan(1e-13);
      }
    }
  });

  it('gramSvd works on both orientations and clamps k', () => {
    const { a, s } = load('geo');
    const at = matrix(a.cols, a.rows, transposeData(a));
    const f = gramSvd(at, 500);
    expect(f.s.length).toBe(Math.min(a.rows, a.cols));
    for (let i = 0; i < 20; i++) expect(Math.abs(f.s[i]! - s[i]!)).toBeLessThanOrEqual(1e-10 * s[i]! + 1e-14 * s[0]!);
    expect(relDiff(at, reconstruct(f))).toBeLessThan(1e-12);
  });
});
