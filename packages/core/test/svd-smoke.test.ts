import { describe, expect, it } from 'vitest';
import { matmul, matrix, Rng, svd, randomizedSvd, qr, symEig } from '../src/index.js';

function recon(u: { rows: number; cols: number; data: Float64Array }, s: Float64Array, vt: { rows: number; cols: number; data: Float64Array }) {
  const us = matrix(u.rows, u.cols, u.data.map((v, i) => v * s[i % u.cols]!));
  return matmul(us, vt);
}
describe('numerics smoke', () => {
  it('svd reconstructs tall and wide matrices', () => {
    const rng = new Rng(1);
    for (const [m, n] of [[30, 7], [7, 30], [12, 12]] as const) {
      const a = matrix(m, n, rng.normalArray(m * n));
      const f = svd(a);
      const r = recon(f.u, f.s, f.vt);
      let err = 0;
      for (let i = 0; i < r.data.length; i++) err = Math.max(err, Math.abs(r.data[i]! - a.data[i]!));
      expect(err).toBeLessThan(1e-12);
      for (let i = 1; i < f.s.length; i++) expect(f.s[i - 1]!).toBeGreaterThanOrEqual(f.s[i]!);
    }
  });
  it('randomized svd finds an exact low-rank matrix', () => {
    const rng = new Rng(2);
    const a = matmul(matrix(200, 5, rng.normalArray(1000)), matrix(5, 150, rng.normalArray(750)));
    const f = randomizedSvd(a, 5);
    const r = recon(f.u, f.s, f.vt);
    let err = 0;
    for (let i = 0; i < r.data.length; i++) err = Math.max(err, Math.abs(r.data[i]! - a.data[i]!));
    expect(err).toBeLessThan(1e-9);
  });
  it('qr and symEig', () => {
    const rng = new Rng(3);
    const a = matrix(9, 4, rng.normalArray(36));
    const { q, r } = qr(a);
    const qa = matmul(q, r);
    for (let i = 0; i < 36; i++) expect(qa.data[i]).toBeCloseTo(a.data[i]!, 12);
    const s = matmul(a, a, { transA: true });
    const e = symEig(s);
    const f = svd(a);
    for (let i = 0; i < 4; i++) expect(e.values[i]).toBeCloseTo(f.s[i]! ** 2, 10);
  });
});
