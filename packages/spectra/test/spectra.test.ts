/**
 * Rank selection against linalg's dense references: arranged tensors against `modeProduct` and
 * `unfold`, mode spectra and leading bases against an exact SVD of the unfolding, and the rank an
 * error budget keeps.
 */
import { describe, expect, it } from 'vitest';
import { matmul, matrix, modeProduct, Rng, svdValues, svd, tensor, unfold } from '@tensorslim/linalg';
import { arrange, canonical, leadingBasis, modeSpectrum, modeTimes, rankWithin, unfolding } from '../src/index.js';

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('arranged tensors', () => {
  const rng = new Rng(5);
  const t = tensor([4, 5, 6], rng.normalArray(120));

  it('mode products in any order equal modeProduct, back in canonical order', () => {
    const m1 = matrix(3, 5, rng.normalArray(15));
    const m0 = matrix(2, 4, rng.normalArray(8));
    const ref = modeProduct(modeProduct(t, m1, 1), m0, 0);
    const got = canonical(modeTimes(modeTimes(arrange(t), 1, m1.data, 3), 0, m0.data, 2));
    expect(got.shape).toEqual([2, 3, 6]);
    expect(maxDiff(got.data, ref.data)).toBeLessThan(1e-12);
  });

  it('the unfolding of a canonical arrangement is unfold', () => {
    for (const mode of [0, 1, 2]) {
      const u = unfolding(arrange(t), mode);
      const ref = unfold(t, mode);
      expect([u.rows, u.cols]).toEqual([ref.rows, ref.cols]);
      expect(maxDiff(u.data, ref.data)).toBe(0);
    }
  });
});

describe('mode spectra', () => {
  // mode 0 has 6 rows and 40 columns (Gram route); mode 2 has 20 rows and 12 columns
  const rng = new Rng(7);
  const t = tensor([6, 2, 20], rng.normalArray(240));

  it('squared singular values of the unfolding, on both routes', () => {
    for (const mode of [0, 2]) {
      const s = svdValues(unfold(t, mode));
      const got = modeSpectrum([arrange(t)], mode);
      expect(got.length).toBe(s.length);
      expect(
        maxDiff(
          got,
          Array.from(s, (v) => v * v),
        ),
      ).toBeLessThan(1e-10 * s[0]! * s[0]!);
    }
  });

  it('the leading basis spans the leading left singular subspace', () => {
    const r = 3;
    const f = svd(unfold(t, 0));
    const b = leadingBasis([arrange(t)], 0, r);
    expect([b.n, b.r]).toEqual([6, r]);
    const uk = matrix(
      6,
      r,
      Float64Array.from({ length: 6 * r }, (_, i) => f.u.data[Math.floor(i / r) * f.u.cols + (i % r)]!),
    );
    const ub = matrix(6, r, b.u);
    const p1 = matmul(uk, uk, { transB: true });
    const p2 = matmul(ub, ub, { transB: true });
    expect(maxDiff(p1.data, p2.data)).toBeLessThan(1e-10);
    expect(b.captured).toBeCloseTo(f.s[0]! ** 2 + f.s[1]! ** 2 + f.s[2]! ** 2, 10);
  });
});

describe('rankWithin', () => {
  const s = Float64Array.from([4, 3, 2, 1]);
  it('keeps the smallest rank whose discarded energy fits the budget', () => {
    expect(rankWithin(s, Math.sqrt(5))).toEqual({ rank: 2, tail: 5 });
    expect(rankWithin(s, 2)).toEqual({ rank: 3, tail: 1 });
    expect(rankWithin(s, 0.5)).toEqual({ rank: 4, tail: 0 });
    expect(rankWithin(s, 100)).toEqual({ rank: 1, tail: 14 });
  });
});
