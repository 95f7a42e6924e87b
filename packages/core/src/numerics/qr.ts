/**
 * Householder QR (economy size).
 *
 * @module
 */
import type { Matrix } from './matrix.js';
import { matrix } from './matrix.js';

/** Economy QR: A (m×n) = Q (m×k) · R (k×n), k = min(m, n), Q with orthonormal columns. */
export function qr(a: Matrix): { q: Matrix; r: Matrix } {
  const m = a.rows;
  const n = a.cols;
  const k = Math.min(m, n);
  // Work column-major on a copy: col j at w[j*m ..]
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a.data[i * n + j]!;
  const tau = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const cj = j * m;
    let norm = 0;
    for (let i = j; i < m; i++) norm += w[cj + i]! * w[cj + i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      tau[j] = 0;
      continue;
    }
    const alpha = w[cj + j]! > 0 ? -norm : norm;
    const v0 = w[cj + j]! - alpha;
    // v = [1, w[j+1..]/v0], tau = -v0/alpha
    for (let i = j + 1; i < m; i++) w[cj + i] = w[cj + i]! / v0;
    tau[j] = -v0 / alpha;
    w[cj + j] = alpha;
    // apply H = I - tau v vᵀ to remaining columns
    for (let c = j + 1; c < n; c++) {
      const cc = c * m;
      let s = w[cc + j]!;
      for (let i = j + 1; i < m; i++) s += w[cj + i]! * w[cc + i]!;
      s *= tau[j]!;
      w[cc + j] = w[cc + j]! - s;
      for (let i = j + 1; i < m; i++) w[cc + i] = w[cc + i]! - s * w[cj + i]!;
    }
  }
  const r = matrix(k, n);
  for (let i = 0; i < k; i++) for (let j = i; j < n; j++) r.data[i * n + j] = w[j * m + i]!;
  // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of I (column-major q)
  const qc = new Float64Array(m * k);
  for (let j = 0; j < k; j++) qc[j * m + j] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const t = tau[j]!;
    if (t === 0) continue;
    const cj = j * m;
    for (let c = j; c < k; c++) {
      const cc = c * m;
      let s = qc[cc + j]!;
      for (let i = j + 1; i < m; i++) s += w[cj + i]! * qc[cc + i]!;
      s *= t;
      qc[cc + j] = qc[cc + j]! - s;
      for (let i = j + 1; i < m; i++) qc[cc + i] = qc[cc + i]! - s * w[cj + i]!;
    }
  }
  const q = matrix(m, k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) q.data[i * k + j] = qc[j * m + i]!;
  return { q, r };
}
