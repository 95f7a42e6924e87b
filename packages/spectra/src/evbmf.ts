/**
 * Empirical variational Bayesian matrix factorization (EVBMF): the analytic global solution of
 * Nakajima, Sugiyama, Babacan & Tomioka, "Global analytic solution of fully-observed
 * variational Bayesian matrix factorization", JMLR 14 (2013), with the noise variance estimated
 * by minimizing the free energy (Nakajima et al., "Condition for perfect dimensionality
 * recovery by variational Bayesian PCA", JMLR 16, 2015). Kim et al., "Compression of deep
 * convolutional neural networks for fast and low power mobile applications" (ICLR 2016) use
 * the rank it finds on each mode unfolding as the Tucker-2 ranks of a convolution.
 *
 * Everything here depends on the singular values only. For an L×M matrix (L ≤ M, α = L/M):
 * a component with singular value γ survives iff γ > γ_EVB = σ·√(M·x̄), x̄ = (1+τ̄)(1+α/τ̄),
 * where τ̄ is the zero of Ψ(τ) = Φ(τ) + Φ(τ/α), Φ(z) = log(1+z)/z − ½ (solved here by
 * bisection; τ̄ = 2.5129 for a square matrix), and σ² minimizes the free energy
 *
 *   2F/M = Σ_{x_h ≤ x̄} (x_h − log x_h) + Σ_{x_h > x̄} (x_h − τ_h + log((τ_h+1)/x_h) + α·log(τ_h/α + 1))
 *          + R/(M σ²) + (L − H)·log σ²  + const,
 *
 * with x_h = γ_h²/(M σ²), τ_h = ½(x_h − 1 − α + √((x_h − 1 − α)² − 4α)), H the number of
 * singular values given and R the energy of the ones not given.
 *
 * @module
 */
import { ErrorCodes, fail, matrix, svd, type Matrix } from '@tensorslim/linalg';

/** What EVBMF finds. */
export interface EvbmfResult {
  /** Number of components above the EVB threshold. */
  readonly rank: number;
  /** Estimated noise variance σ². */
  readonly sigma2: number;
  /** The singular value threshold γ_EVB = σ·√(M·x̄). */
  readonly threshold: number;
  /** τ̄ for this aspect ratio. */
  readonly tauBar: number;
}

function phi(z: number): number {
  return z < 1e-8 ? 0.5 - z / 2 : Math.log1p(z) / z - 0.5;
}

/**
 * τ̄(α): the zero of Φ(τ) + Φ(τ/α), 0 < α ≤ 1 (Ψ decreases from 1 to −1, so bisection).
 */
export function evbTauBar(alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) fail(ErrorCodes.OPTION, `EVBMF aspect ratio α = ${alpha} must be in (0, 1]`);
  let lo = 1e-12;
  let hi = 8; // Φ(z) < 0 for z > 2.5129, so Ψ(8) < 0 for every α ≤ 1
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (phi(mid) + phi(mid / alpha) > 0) lo = mid;
    else hi = mid;
    if (hi - lo <= 1e-15 * hi) break;
  }
  return 0.5 * (lo + hi);
}

function tauOf(x: number, alpha: number): number {
  const b = x - 1 - alpha;
  return 0.5 * (b + Math.sqrt(Math.max(0, b * b - 4 * alpha)));
}

/**
 * The free energy (up to constants and the factor M/2) as a function of σ², for squared
 * singular values `g2` of an L×M matrix (L ≤ M) and the energy `residual` of the omitted ones.
 */
export function evbFreeEnergy(sigma2: number, g2: ArrayLike<number>, L: number, M: number, residual: number, xBar: number): number {
  const alpha = L / M;
  const H = g2.length;
  let f = residual / (M * sigma2) + (L - H) * Math.log(sigma2);
  const logS = Math.log(sigma2);
  for (let h = 0; h < H; h++) {
    const x = g2[h]! / (M * sigma2);
    // −log x = −log(γ²/M) + log σ²; the first part is a constant and dropped (γ may be 0)
    if (x > xBar) {
      const t = tauOf(x, alpha);
      f += x - t + Math.log(t + 1) + alpha * Math.log(t / alpha + 1) + logS;
    } else {
      f += x + logS;
    }
  }
  return f;
}

/** Minimizes f on [lo, hi] (in log scale): a grid scan, then golden-section search around the best point. */
function minimizeLog(f: (x: number) => number, lo: number, hi: number): number {
  if (!(hi > lo)) return hi;
  const a = Math.log(lo);
  const b = Math.log(hi);
  const N = 200;
  let best = 0;
  let bestF = Infinity;
  const xs: number[] = [];
  for (let i = 0; i <= N; i++) {
    const x = a + ((b - a) * i) / N;
    xs.push(x);
    const v = f(Math.exp(x));
    if (v < bestF) {
      bestF = v;
      best = i;
    }
  }
  let l = xs[Math.max(0, best - 1)]!;
  let r = xs[Math.min(N, best + 1)]!;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = r - g * (r - l);
  let d = l + g * (r - l);
  let fc = f(Math.exp(c));
  let fd = f(Math.exp(d));
  for (let i = 0; i < 100 && r - l > 1e-12 * Math.max(1, Math.abs(l)); i++) {
    if (fc < fd) {
      r = d;
      d = c;
      fd = fc;
      c = r - g * (r - l);
      fc = f(Math.exp(c));
    } else {
      l = c;
      c = d;
      fc = fd;
      d = l + g * (r - l);
      fd = f(Math.exp(d));
    }
  }
  const x = fc < fd ? c : d;
  return Math.exp(Math.min(fc, fd) <= bestF ? x : xs[best]!);
}

/**
 * EVBMF from the singular values of a `rows`×`cols` matrix.
 *
 * @param singularValues - the leading singular values, descending (all min(rows, cols) of them,
 *   or the first H with `totalEnergy` giving ‖Y‖²_F so the rest is accounted for).
 * @param totalEnergy - ‖Y‖²_F; needed only when fewer than min(rows, cols) values are given.
 * @param sigma2 - a known noise variance (skips the estimation).
 */
export function evbmfFromSingularValues(singularValues: ArrayLike<number>, rows: number, cols: number, totalEnergy?: number, sigma2?: number): EvbmfResult {
  const L = Math.min(rows, cols);
  const M = Math.max(rows, cols);
  const H = singularValues.length;
  if (L < 1 || H < 1 || H > L) {
    fail(ErrorCodes.SHAPE, `EVBMF needs 1..${L} singular values of a ${rows}×${cols} matrix, got ${H}`);
  }
  const g2 = Float64Array.from({ length: H }, (_, h) => {
    const v = singularValues[h]!;
    if (!Number.isFinite(v) || v < 0) fail(ErrorCodes.NON_FINITE, `singular value ${h} is ${v}`);
    return v * v;
  });
  let sumG2 = 0;
  for (const v of g2) sumG2 += v;
  const residual = H < L ? Math.max(0, (totalEnergy ?? sumG2) - sumG2) : 0;
  const alpha = L / M;
  const tauBar = evbTauBar(alpha);
  const xBar = (1 + tauBar) * (1 + alpha / tauBar);
  let s2 = sigma2;
  if (s2 === undefined) {
    const upper = (sumG2 + residual) / (L * M);
    if (!(upper > 0)) return { rank: 0, sigma2: 0, threshold: 0, tauBar };
    // At most ceil(L/(1+α)) − 1 components can be signal; the first one after them is noise,
    // which bounds σ² from below (γ² ≤ M σ² x̄ for it, and σ² ≥ the mean noise energy / M).
    const idx = Math.min(Math.ceil(L / (1 + alpha)) - 1, H - 1);
    let tail = 0;
    for (let h = idx; h < H; h++) tail += g2[h]!;
    let lower = Math.max(g2[idx]! / (M * xBar), tail / (H - idx) / M);
    if (!(lower > 0)) lower = upper * 1e-16;
    s2 = lower >= upper ? upper : minimizeLog((v) => evbFreeEnergy(v, g2, L, M, residual, xBar), lower, upper);
  }
  if (!(s2 >= 0)) fail(ErrorCodes.OPTION, `EVBMF noise variance ${s2} must be ≥ 0`);
  const threshold = Math.sqrt(M * s2 * xBar);
  let rank = 0;
  for (let h = 0; h < H; h++) if (Math.sqrt(g2[h]!) > threshold) rank++;
  return { rank, sigma2: s2, threshold, tauBar };
}

/** EVBMF of a matrix (its exact singular values from linalg's SVD). */
export function evbmf(y: Matrix, sigma2?: number): EvbmfResult {
  const s = svd(matrix(y.rows, y.cols, y.data)).s;
  return evbmfFromSingularValues(s, y.rows, y.cols, undefined, sigma2);
}
