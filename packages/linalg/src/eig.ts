/**
 * Symmetric eigensolver: Householder tridiagonalization, then the implicit QL iteration
 * (all eigenpairs) or QL eigenvalues plus inverse iteration (the leading k eigenpairs), then
 * back-transformation of the eigenvectors with blocked reflectors.
 *
 * @module
 */
import { assertFinite, ErrorCodes, fail } from './errors.js';
import type { Matrix } from './matrix.js';
import { matrix } from './matrix.js';
import { applyQ, fromColMajor, orgqr } from './householder.js';
import { stein, sytrd, tql } from './tridiag.js';
import type { Heap } from './heap.js';
import { withScratch } from './heap.js';

/** Eigen-decomposition of a symmetric matrix. */
export interface SymEig {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as columns (n×k), in the order of `values`. */
  vectors: Matrix;
}

/** Options of {@link symEig}. */
export interface SymEigOptions {
  /**
   * Only the k algebraically largest eigenpairs (default: all n). For k well below n the
   * eigenvectors come from inverse iteration on the tridiagonal form, which is much cheaper than
   * accumulating every QL rotation.
   */
  k?: number;
}

/**
 * Eigenvalues (descending) and eigenvectors of a symmetric matrix; only the lower triangle is
 * read. Accurate to machine precision relative to ‖A‖; eigenvectors are orthonormal.
 */
export function symEig(a: Matrix, opts: SymEigOptions = {}): SymEig {
  const n = a.rows;
  if (a.cols !== n) fail(ErrorCodes.SHAPE, `symEig needs a square matrix, got ${a.rows}×${a.cols}`);
  const k = Math.max(0, Math.min(n, opts.k ?? n));
  if (n === 0 || k === 0) return { values: new Float64Array(0), vectors: matrix(n, 0) };
  checkLowerFinite(a, 'the matrix passed to symEig');
  return withScratch((h) => {
    const w = h.alloc(n * n);
    loadLower(h, a, w);
    return symEigArena(h, w, n, k);
  });
}

/** The eigenvalues of a symmetric matrix (lower triangle read), descending. */
export function symEigValues(a: Matrix): Float64Array {
  const n = a.rows;
  if (a.cols !== n) fail(ErrorCodes.SHAPE, `symEigValues needs a square matrix, got ${a.rows}×${a.cols}`);
  if (n === 0) return new Float64Array(0);
  checkLowerFinite(a, 'the matrix passed to symEigValues');
  return withScratch((h) => {
    const w = h.alloc(n * n);
    loadLower(h, a, w);
    const d = new Float64Array(n);
    const e = new Float64Array(n);
    const tau = new Float64Array(Math.max(1, n - 1));
    sytrd(h, w, n, d, e, tau);
    tql(null, d, e, n);
    return d.sort().reverse();
  });
}

/** Refuses NaN/Inf in the lower triangle (the part that is read). */
function checkLowerFinite(a: Matrix, what: string): void {
  const n = a.rows;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) s += a.data[i * n + j]! * 0;
  if (s !== 0) assertFinite(a.data, what);
}

function loadLower(h: Heap, a: Matrix, w: number): void {
  const n = a.rows;
  const F = h.f64;
  const src = a.data;
  for (let j = 0; j < n; j++) {
    const c = w + j * n;
    for (let i = j; i < n; i++) F[c + i] = src[i * n + j]!;
  }
}

/** Below this fraction of n wanted vectors, inverse iteration beats accumulating QL rotations. */
const PARTIAL_FRACTION = 0.35;

/**
 * Leading-k eigenpairs of the symmetric n×n matrix in the arena at w (column-major, lower triangle
 * read; overwritten). Shared by {@link symEig} and the Gram-matrix SVD.
 */
export function symEigArena(h: Heap, w: number, n: number, k: number): SymEig {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(Math.max(1, n - 1));
  sytrd(h, w, n, d, e, tau);
  const vectors = matrix(n, k);
  if (k < PARTIAL_FRACTION * n && n > 8) {
    const dd = d.slice();
    const ee = e.slice();
    tql(null, dd, ee, n);
    const values = dd.sort().reverse().slice(0, k);
    const z = h.alloc(n * k);
    stein(h, d, e, n, values, z);
    // back-transform: Z ← diag(1, H_0⋯H_{n−2})·Z
    if (n > 1) applyQ(h, w + 1, n, n - 1, n - 1, tau, z + 1, 1, n, k, false);
    fromColMajor(h.f64, z, n, n, k, vectors.data, 0, k);
    return { values, vectors };
  }
  // all eigenpairs: form Q, accumulate the QL rotations into it
  const q = h.alloc(n * n);
  let F = h.f64;
  F.fill(0, q, q + n * n);
  F[q] = 1;
  if (n > 1) orgqr(h, w + 1, n, n - 1, n - 1, tau, q + n + 1, n);
  tql(h, d, e, n, q, n);
  F = h.f64;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y]! - d[x]!);
  const values = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const j = order[c]!;
    values[c] = d[j]!;
    const col = q + j * n;
    for (let i = 0; i < n; i++) vectors.data[i * k + c] = F[col + i]!;
  }
  return { values, vectors };
}
