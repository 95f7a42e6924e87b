// Shared helpers of the numerics tests: fixture loading and matrix measures.
import { readFileSync } from 'node:fs';
import { matmul, matrix, readNpy, type DenseTensor, type Matrix, type Svd } from '../src/index.js';

/** Reads test/fixtures/numerics/<name>.npy (written by test/fixtures/make_fixtures.py). */
export function fixture(name: string): DenseTensor {
  const bytes = readFileSync(new URL(`./fixtures/numerics/${name}.npy`, import.meta.url));
  return readNpy(new Uint8Array(bytes), name);
}

/** The raw bytes of a fixture file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`./fixtures/numerics/${name}.npy`, import.meta.url)));
}

/** A fixture as a matrix (1-d arrays become one row). */
export function fixtureMatrix(name: string): Matrix {
  const t = fixture(name);
  const [r, c] = t.shape.length === 2 ? t.shape : [1, t.data.length];
  return matrix(r!, c!, t.data);
}

/** max |x_ij| */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}

/** ‖x‖_F */
export function fro(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/** max |QᵀQ − I| over the columns of q. */
export function orthErr(q: Matrix): number {
  const g = matmul(q, q, { transA: true });
  let e = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) e = Math.max(e, Math.abs(g.data[i * g.cols + j]! - (i === j ? 1 : 0)));
  return e;
}

/** U·diag(s)·Vt */
export function reconstruct(f: Svd): Matrix {
  const k = f.s.length;
  const us = matrix(
    f.u.rows,
    k,
    f.u.data.map((v, i) => v * f.s[i % k]!),
  );
  return matmul(us, f.vt);
}

/** ‖A − B‖_F / ‖A‖_F (or ‖A − B‖_F when A is zero). */
export function relDiff(a: Matrix, b: Matrix): number {
  const d = new Float64Array(a.data.length);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i]! - b.data[i]!;
  const na = fro(a.data);
  return na === 0 ? fro(d) : fro(d) / na;
}

/** Naive triple loop product of op(A)·op(B), the reference for the blocked kernels. */
export function naiveMatmul(a: Matrix, b: Matrix, ta = false, tb = false): Matrix {
  const m = ta ? a.cols : a.rows;
  const k = ta ? a.rows : a.cols;
  const n = tb ? b.rows : b.cols;
  const c = matrix(m, n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a.data[p * a.cols + i]! : a.data[i * a.cols + p]!) * (tb ? b.data[j * b.cols + p]! : b.data[p * b.cols + j]!);
      c.data[i * n + j] = s;
    }
  return c;
}
