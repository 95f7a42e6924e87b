// Shared test helpers: the numpy/scipy EVBMF fixtures and random orthonormal bases.
import { readFileSync } from 'node:fs';
import { matrix, qr, type Rng } from '@tensorslim/linalg';

/** One EVBMF reference case of test/fixtures/make_fixtures.py. */
export interface EvbmfCase {
  rows: number;
  cols: number;
  trueRank: number;
  noise: number;
  y: number[];
  rank: number;
  sigma2: number;
  tauBar: number;
}

/** Loads test/fixtures/evbmf.json (written by test/fixtures/make_fixtures.py). */
export function fixtures(): { evbmf: EvbmfCase[]; tauBar: { alpha: number; tauBar: number }[] } {
  return JSON.parse(readFileSync(new URL('./fixtures/evbmf.json', import.meta.url), 'utf8'));
}

/** An n×r matrix with orthonormal columns (row-major data). */
export function orthonormal(rng: Rng, n: number, r: number): Float64Array {
  return qr(matrix(n, r, rng.normalArray(n * r))).q.data;
}
