import { afterAll, describe, expect, it } from 'vitest';
import { matmul, matrix, qr, Rng, setKernelMode, symEig, symEigValues, TensorslimError } from '../src/index.js';
import { fixture, fixtureMatrix, orthErr, relDiff } from './helpers.js';

afterAll(() => {
  setKernelMode('auto');
});

describe.each(['auto', 'js'] as const)('Householder QR against numpy (kernels: %s)', (mode) => {
  it.each(['tall', 'wide', 'square', 'big_tall'])('%s: Q orthonormal, R upper triangular, QR = A, |diag R| = numpy', (name) => {
    setKernelMode(mode);
    const a = fixtureMatrix(`qr_${name}_a`);
    const ref = fixture(`qr_${name}_absdiag`).data;
    const { q, r } = qr(a);
    const k = Math.min(a.rows, a.cols);
    expect([q.rows, q.cols, r.rows, r.cols]).toEqual([a.rows, k, k, a.cols]);
    expect(orthErr(q)).toBeLessThan(1e-13);
    for (let i = 0; i < k; i++) for (let j = 0; j < Math.min(i, a.cols); j++) expect(r.data[i * a.cols + j]).toBe(0);
    expect(relDiff(a, matmul(q, r))).toBeLessThan(1e-14);
    for (let i = 0; i < k; i++) expect(Math.abs(Math.abs(r.data[i * a.cols + i]!) - ref[i]!)).toBeLessThan(1e-10 * ref[i]!);
  });

  it('rank-deficient and zero columns, 1×n and n×1', () => {
    setKernelMode(mode);
    const rng = new Rng(5);
    const f = matmul(matrix(40, 3, rng.normalArray(120)), matrix(3, 9, rng.normalArray(27)));
    for (let i = 0; i < 40; i++) f.data[i * 9 + 4] = 0; // a zero column
    for (const a of [f, matrix(1, 7, rng.normalArray(7)), matrix(7, 1, rng.normalArray(7)), matrix(6, 4)]) {
      const { q, r } = qr(a);
      expect(orthErr(q)).toBeLessThan(1e-13);
      expect(relDiff(a, matmul(q, r))).toBeLessThan(1e-14);
    }
  });
});

describe.each(['auto', 'js'] as const)('symmetric eigensolver against numpy.linalg.eigh (kernels: %s)', (mode) => {
  it.each(['random', 'psd_rankdef', 'repeated', 'gram'])('%s: eigenvalues, A·v = λ·v, orthonormal vectors', (name) => {
    setKernelMode(mode);
    const a = fixtureMatrix(`eig_${name}_a`);
    const ref = Array.from(fixture(`eig_${name}_w`).data).reverse(); // descending
    const n = a.rows;
    const scale = Math.max(Math.abs(ref[0]!), Math.abs(ref[n - 1]!));
    for (const k of [n, Math.ceil(n / 5)]) {
      const { values, vectors } = symEig(a, { k });
      expect(values.length).toBe(k);
      expect([vectors.rows, vectors.cols]).toEqual([n, k]);
      for (let i = 0; i < k; i++) expect(Math.abs(values[i]! - ref[i]!)).toBeLessThan(1e-13 * scale);
      const av = matmul(a, vectors);
      let res = 0;
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) res = Math.max(res, Math.abs(av.data[i * k + c]! - values[c]! * vectors.data[i * k + c]!));
      expect(res).toBeLessThan(1e-13 * scale);
      expect(orthErr(vectors)).toBeLessThan(1e-13);
    }
    const w = symEigValues(a);
    for (let i = 0; i < n; i++) expect(Math.abs(w[i]! - ref[i]!)).toBeLessThan(1e-13 * scale);
  });

  it('reads only the lower triangle, and checks its input', () => {
    setKernelMode(mode);
    const a = fixtureMatrix('eig_random_a');
    const n = a.rows;
    const lower = matrix(
      n,
      n,
      a.data.map((v, idx) => (idx % n <= Math.floor(idx / n) ? v : 1e6)),
    );
    expect(Array.from(symEigValues(lower))).toEqual(Array.from(symEigValues(a)));
    expect(() => symEig(matrix(3, 4))).toThrow(TensorslimError);
    const bad = matrix(n, n, a.data.slice());
    bad.data[n + 1] = NaN;
    expect(() => symEig(bad)).toThrow(/contains NaN/);
    expect(() => symEigValues(bad)).toThrow(/contains NaN/);
    expect(symEig(matrix(0, 0)).values.length).toBe(0);
    const one = symEig(matrix(1, 1, [-3]));
    expect(Array.from(one.values)).toEqual([-3]);
    expect(Math.abs(one.vectors.data[0]!)).toBe(1);
  });
});
