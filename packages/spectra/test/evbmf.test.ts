/**
 * EVBMF (`evbmf`, `evbmfFromSingularValues`, `evbTauBar`) against an independent numpy/scipy
 * implementation (test/fixtures/make_fixtures.py) and on matrices of known rank plus noise.
 */
import { describe, expect, it } from 'vitest';
import { matmul, matrix, Rng } from '@tensorslim/linalg';
import { evbmf, evbmfFromSingularValues, evbTauBar } from '../src/index.js';
import { fixtures, orthonormal } from './helpers.js';

const fx = fixtures();

/** rows×cols matrix: rank-`rank` signal with singular values `scale`·edge·(1 + i/2) plus N(0, noise²). */
function lowRankPlusNoise(rng: Rng, rows: number, cols: number, rank: number, noise: number, scale = 2) {
  const edge = noise * (Math.sqrt(rows) + Math.sqrt(cols)); // largest singular value of the noise, about
  const u = matrix(rows, rank, orthonormal(rng, rows, rank));
  const v = matrix(cols, rank, orthonormal(rng, cols, rank));
  const us = matrix(
    rows,
    rank,
    u.data.map((x, i) => x * scale * edge * (1 + (i % rank) / 2)),
  );
  const a = matmul(us, v, { transB: true });
  for (let i = 0; i < a.data.length; i++) a.data[i] += noise * rng.normal();
  return a;
}

describe('EVBMF', () => {
  it('τ̄ solves Φ(τ) + Φ(τ/α) = 0 (numpy/scipy brentq values)', () => {
    expect(fx.tauBar).toHaveLength(5);
    for (const { alpha, tauBar } of fx.tauBar) expect(Math.abs(evbTauBar(alpha) - tauBar)).toBeLessThan(1e-10);
    expect(evbTauBar(1)).toBeCloseTo(2.5129, 4); // the constant of Nakajima et al.
  });

  it('matches an independent numpy/scipy EVBMF (rank and σ²)', () => {
    expect(fx.evbmf).toHaveLength(3);
    for (const c of fx.evbmf) {
      const r = evbmf(matrix(c.rows, c.cols, c.y));
      expect(r.rank).toBe(c.rank);
      expect(r.rank).toBe(c.trueRank);
      expect(Math.abs(r.sigma2 - c.sigma2) / c.sigma2).toBeLessThan(1e-6);
    }
  });

  const cases: [number, number, number, number][] = [
    [40, 60, 3, 0.1],
    [60, 40, 5, 1],
    [100, 100, 8, 0.5],
    [20, 200, 2, 0.05],
    [64, 576, 10, 0.3],
    [30, 30, 1, 2],
  ];
  for (const [rows, cols, rank, noise] of cases) {
    it(`finds the true rank of a ${rows}×${cols} rank-${rank} matrix + N(0, ${noise}²) noise`, () => {
      const y = lowRankPlusNoise(new Rng(rows * 7 + cols), rows, cols, rank, noise);
      const r = evbmf(y);
      expect(r.rank).toBe(rank);
      // the noise variance it estimates is close to the true one
      expect(Math.abs(r.sigma2 - noise * noise) / (noise * noise)).toBeLessThan(0.1);
    });
  }

  it('finds nothing in pure noise and everything above a known σ²', () => {
    const rng = new Rng(9);
    const y = matrix(50, 70, rng.normalArray(3500));
    expect(evbmf(y).rank).toBe(0);
    expect(evbmfFromSingularValues([100, 90, 80], 3, 5, undefined, 1e-6).rank).toBe(3);
  });

  it('rejects bad input', () => {
    expect(() => evbmfFromSingularValues([], 3, 4)).toThrow(/singular values/);
    expect(() => evbmfFromSingularValues([1, NaN], 3, 4)).toThrow(/NaN/);
    expect(() => evbTauBar(2)).toThrow(/α/);
  });
});
