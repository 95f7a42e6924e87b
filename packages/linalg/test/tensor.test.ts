import { afterAll, describe, expect, it } from 'vitest';
import { fold, gemm, gram, kernelMode, matmul, matrix, modeProduct, permute, reshape, Rng, setKernelMode, tensor, transpose, unfold } from '../src/index.js';
import { fixture, fixtureMatrix, maxAbs, naiveMatmul } from './helpers.js';
import { heap } from '../src/heap.js';

afterAll(() => {
  setKernelMode('auto');
});

describe('tensor operations against numpy', () => {
  const x = fixture('tensor_x');

  it('permute is numpy.transpose', () => {
    const p = permute(x, [2, 0, 3, 1]);
    const ref = fixture('tensor_permute_2031');
    expect(p.shape).toEqual(ref.shape);
    expect(Array.from(p.data)).toEqual(Array.from(ref.data));
    expect(() => permute(x, [0, 1, 1, 2])).toThrow(/not a permutation/);
  });

  it.each([0, 1, 2, 3])('unfold / fold along mode %i', (mode) => {
    const u = unfold(x, mode);
    const ref = fixtureMatrix(`tensor_unfold_${mode}`);
    expect([u.rows, u.cols]).toEqual([ref.rows, ref.cols]);
    expect(Array.from(u.data)).toEqual(Array.from(ref.data));
    const back = fold(u, mode, x.shape);
    expect(back.shape).toEqual(x.shape);
    expect(Array.from(back.data)).toEqual(Array.from(x.data));
  });

  it.each([0, 1, 2, 3])('modeProduct along mode %i is numpy.tensordot', (mode) => {
    const m = fixtureMatrix(`tensor_modeprod_${mode}_m`);
    const ref = fixture(`tensor_modeprod_${mode}`);
    const y = modeProduct(x, m, mode);
    expect(y.shape).toEqual(ref.shape);
    expect(maxAbs(y.data.map((v, i) => v - ref.data[i]!))).toBeLessThan(1e-14);
    // with the transposed matrix
    const yt = modeProduct(x, transpose(m), mode, true);
    expect(Array.from(yt.data)).toEqual(Array.from(y.data));
  });

  it('reshape shares data and checks sizes', () => {
    const r = reshape(x, [12, 10]);
    expect(r.data).toBe(x.data);
    expect(() => reshape(x, [7, 7])).toThrow(/cannot reshape/);
    expect(() => tensor([2, 2], [1, 2, 3])).toThrow(/does not fill/);
  });
});

describe.each(['auto', 'js'] as const)('blocked matrix products (kernels: %s)', (mode) => {
  it('matmul with every transpose combination, ragged sizes, packed and small paths', () => {
    expect(setKernelMode(mode)).toBe(mode === 'js' ? 'js' : kernelMode());
    const rng = new Rng(7);
    for (const [m, n, k] of [
      [3, 5, 7],
      [37, 29, 41],
      [130, 67, 300],
      [5, 260, 9],
      [258, 6, 530],
    ] as const) {
      for (const ta of [false, true])
        for (const tb of [false, true]) {
          const a = ta ? matrix(k, m, rng.normalArray(m * k)) : matrix(m, k, rng.normalArray(m * k));
          const b = tb ? matrix(n, k, rng.normalArray(n * k)) : matrix(k, n, rng.normalArray(n * k));
          const c = matmul(a, b, { transA: ta, transB: tb });
          const ref = naiveMatmul(a, b, ta, tb);
          expect([c.rows, c.cols]).toEqual([m, n]);
          expect(maxAbs(c.data.map((v, i) => v - ref.data[i]!))).toBeLessThan(1e-12 * Math.sqrt(k));
        }
    }
    expect(() => matmul(matrix(2, 3), matrix(4, 2))).toThrow(/inner sizes differ/);
  });

  it('gemm into the arena accumulates in place: ragged row and column panels, alpha, beta', () => {
    setKernelMode(mode);
    const rng = new Rng(10);
    const h = heap();
    const mark = h.top;
    try {
      for (const [m, n, k] of [
        [37, 29, 41],
        [130, 67, 300],
        [3, 21, 50],
        [2, 8, 5],
      ] as const) {
        const a = matrix(m, k, rng.normalArray(m * k));
        const b = matrix(k, n, rng.normalArray(k * n));
        const c0 = rng.normalArray(m * n);
        const cO = h.alloc(m * n);
        h.f64.set(c0, cO);
        gemm(m, n, k, 1.5, a.data, 0, k, 1, b.data, 0, n, 1, 0.25, h.f64, cO, n, 1);
        const ref = naiveMatmul(a, b, false, false);
        const got = h.f64.subarray(cO, cO + m * n);
        expect(maxAbs(got.map((v, i) => v - (1.5 * ref.data[i]! + 0.25 * c0[i]!)))).toBeLessThan(1e-12 * Math.sqrt(k) * 4);
      }
    } finally {
      h.top = mark;
    }
  });

  it('gram is A·Aᵀ or Aᵀ·A, exactly symmetric', () => {
    const rng = new Rng(8);
    for (const [m, n] of [
      [9, 30],
      [40, 300],
      [260, 36],
    ] as const) {
      const a = matrix(m, n, rng.normalArray(m * n));
      for (const side of ['rows', 'cols', 'auto'] as const) {
        const g = gram(a, side);
        const rows = side === 'rows' || (side === 'auto' && m <= n);
        const ref = rows ? naiveMatmul(a, a, false, true) : naiveMatmul(a, a, true, false);
        expect(g.rows).toBe(rows ? m : n);
        expect(maxAbs(g.data.map((v, i) => v - ref.data[i]!))).toBeLessThan(1e-11);
        for (let i = 0; i < g.rows; i++) for (let j = 0; j < i; j++) expect(g.data[i * g.rows + j]).toBe(g.data[j * g.rows + i]);
      }
    }
  });

  it('gemm on strided views: alpha, beta, beta = 0 over NaN, column-major output', () => {
    const rng = new Rng(9);
    const m = 45;
    const n = 38;
    const k = 70;
    const a = matrix(m, k, rng.normalArray(m * k));
    const b = matrix(k, n, rng.normalArray(k * n));
    const ref = naiveMatmul(a, b);
    const c0 = matrix(m, n, rng.normalArray(m * n));
    // C (row-major) = 2·A·B − 0.5·C0
    const c = c0.data.slice();
    gemm(m, n, k, 2, a.data, 0, k, 1, b.data, 0, n, 1, -0.5, c, 0, n, 1);
    expect(maxAbs(c.map((v, i) => v - (2 * ref.data[i]! - 0.5 * c0.data[i]!)))).toBeLessThan(1e-11);
    // column-major C with beta = 0 over NaN, inside a larger buffer at an offset
    const big = new Float64Array(5 + m * n).fill(NaN);
    gemm(m, n, k, 1, a.data, 0, k, 1, b.data, 0, n, 1, 0, big, 5, 1, m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(Math.abs(big[5 + j * m + i]! - ref.data[i * n + j]!)).toBeLessThan(1e-11);
    expect(big[4]).toBeNaN();
    // a sub-block of A (every other row) through its strides
    const sub = new Float64Array(m * n);
    gemm(Math.floor(m / 2), n, k, 1, a.data, k, 2 * k, 1, b.data, 0, n, 1, 0, sub, 0, n, 1);
    for (let i = 0; i < Math.floor(m / 2); i++)
      for (let j = 0; j < n; j++) expect(Math.abs(sub[i * n + j]! - ref.data[(2 * i + 1) * n + j]!)).toBeLessThan(1e-11);
  });
});
