// Shared test helpers: random Tucker tensors, fixture loading, small linear algebra.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Factors } from '@tensorslim/core';
import { matmul, matrix, qr, Rng, type DenseTensor } from '@tensorslim/linalg';
import { tuckerReconstruct as reconstructTucker } from '../src/index.js';

/** An n×r matrix with orthonormal columns (row-major data). */
export function orthonormal(rng: Rng, n: number, r: number): Float64Array {
  return qr(matrix(n, r, rng.normalArray(n * r))).q.data;
}

/** A tensor of exact multilinear ranks `ranks` on `modes`: random core × orthonormal factors. */
export function randomTucker(rng: Rng, shape: number[], modes: number[], ranks: number[]): { x: DenseTensor; f: Factors } {
  const cshape = [...shape];
  modes.forEach((m, i) => (cshape[m] = ranks[i]!));
  const core = { shape: cshape, data: rng.normalArray(cshape.reduce((a, b) => a * b, 1)) };
  const f: Factors = {
    format: 'tucker',
    shape,
    ranks,
    cores: [core, ...modes.map((m, i) => ({ shape: [shape[m]!, ranks[i]!], data: orthonormal(rng, shape[m]!, ranks[i]!) }))],
    meta: { modes },
  };
  return { x: reconstructTucker(f), f };
}

/** ‖a − b‖ / ‖a‖ over flat arrays. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += a[i]! ** 2;
  }
  return Math.sqrt(d / n);
}

/** U·Uᵀ of an n×r row-major matrix (basis-independent: equal for equal subspaces). */
export function projector(u: Float64Array, n: number, r: number): Float64Array {
  const m = matrix(n, r, u);
  return matmul(m, m, { transB: true }).data;
}

/** Max |UᵀU − I| of an n×r matrix. */
export function orthoError(u: Float64Array, n: number, r: number): number {
  const m = matrix(n, r, u);
  const g = matmul(m, m, { transA: true });
  let e = 0;
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) e = Math.max(e, Math.abs(g.data[i * r + j]! - (i === j ? 1 : 0)));
  return e;
}

export { Rng };

/** The numpy fixtures written by test/fixtures/make_fixtures.py. */
export interface TuckerCase {
  name: string;
  shape: number[];
  modes: number[];
  ranks: number[];
  sweeps: number;
  x: number[];
  hosvd: { factors: number[][]; reconstruction: number[]; relError: number };
  hooi: { reconstruction: number[]; relError: number; errors: number[] };
}

/** Loads tucker.json. */
export function fixtures(): { tucker: TuckerCase[] } {
  const p = fileURLToPath(new URL('./fixtures/tucker.json', import.meta.url));
  return JSON.parse(readFileSync(p, 'utf8'));
}
