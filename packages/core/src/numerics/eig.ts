/**
 * Symmetric eigensolver.
 *
 * @module
 */
import { ErrorCodes, fail } from '../errors.js';
import type { Matrix } from './matrix.js';
import { matrix } from './matrix.js';

/** Eigen-decomposition of a symmetric matrix. */
export interface SymEig {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as columns (n×n), in the order of `values`. */
  vectors: Matrix;
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix (only the lower triangle is read),
 * by cyclic Jacobi rotations.
 */
export function symEig(a: Matrix): SymEig {
  const n = a.rows;
  if (a.cols !== n) fail(ErrorCodes.SHAPE, `symEig needs a square matrix, got ${a.rows}×${a.cols}`);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const v = a.data[i * n + j]!;
      A[i * n + j] = v;
      A[j * n + i] = v;
    }
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let tot = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = A[i * n + j]! * A[i * n + j]!;
        tot += v;
        if (i !== j) off += v;
      }
    if (off <= 1e-30 * tot || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!;
        const aqq = A[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => A[y * n + y]! - A[x * n + x]!);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  const vectors = matrix(n, n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors.data[r * n + c] = V[r * n + order[c]!]!;
  return { values, vectors };
}
