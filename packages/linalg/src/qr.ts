/**
 * Householder QR (economy size), blocked: panels of 32 columns are factored with level-1
 * kernels, the trailing matrix is updated with two GEMMs per panel (compact WY), and Q is formed
 * the same way.
 *
 * @module
 */
import type { Matrix } from './matrix.js';
import { matrix } from './matrix.js';
import { fromColMajor, geqrf, orgqr, toColMajor } from './householder.js';
import { withScratch } from './heap.js';

/** Economy QR: A (m×n) = Q (m×k) · R (k×n), k = min(m, n), Q with orthonormal columns, R upper triangular. */
export function qr(a: Matrix): { q: Matrix; r: Matrix } {
  const m = a.rows;
  const n = a.cols;
  const k = Math.min(m, n);
  const q = matrix(m, k);
  const r = matrix(k, n);
  if (k === 0) return { q, r };
  withScratch((h) => {
    const w = h.alloc(m * n);
    toColMajor(a.data, 0, n, m, n, h.f64, w, m);
    const tau = new Float64Array(k);
    geqrf(h, w, m, m, n, tau);
    let F = h.f64;
    for (let i = 0; i < k; i++) for (let j = i; j < n; j++) r.data[i * n + j] = F[w + j * m + i]!;
    const qc = h.alloc(m * k);
    orgqr(h, w, m, m, k, tau, qc, m);
    F = h.f64;
    fromColMajor(F, qc, m, m, k, q.data, 0, k);
  });
  return { q, r };
}
