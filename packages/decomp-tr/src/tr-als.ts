/**
 * TR-ALS: alternating least squares over the cores of a tensor ring, started from TR-SVD.
 * Each step solves one core exactly (least squares against the unfolding of the subchain of the
 * other cores, through an SVD of that unfolding: stable when the subchain is ill-conditioned or
 * rank-deficient). The best iterate is kept, so the result is never worse than the start.
 *
 * @module
 */
import { ErrorCodes, assertFinite, fail, type Factors } from '@tensorslim/core';
import { frobNorm, matmul, qr, relError, svd, type DenseTensor, type Matrix, type Svd } from '@tensorslim/linalg';
import { chainProduct, ringOf, rotateModes, trReconstructCores } from './cores.js';
import { TR_FORMAT } from './tr-svd.js';

/** Options of {@link trAls}. */
export interface TrAlsOptions {
  /** Most sweeps over all d cores (default 10). 0 returns the start unchanged. */
  readonly maxSweeps?: number;
  /** Stop when a sweep lowers the relative error by less than `tol` times its value (default 1e-6). */
  readonly tol?: number;
  /**
   * Singular values of a subchain unfolding below `rcond·σ_max` are treated as zero
   * (default max(rows, cols)·2.2e-16, numpy's lstsq rule).
   */
  readonly rcond?: number;
}

/** Checks an ALS option: a number in range, or the default. */
function numOpt(v: unknown, name: string, dflt: number, integer: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    fail(ErrorCodes.OPTION, `TR-ALS option ${name} = ${String(v)} must be a ${integer ? 'non-negative integer' : 'non-negative number'}`);
  }
  return v;
}

/**
 * Solves core k in place: min ‖A_(k) − X·Mᵀ‖_F where A_(k) is the cyclic mode-k unfolding
 * (columns ordered by modes k+1, …, d−1, 0, …, k−1) and M[J, a·r_{k+1}+b] = S_J[b, a] is the
 * subchain Z_{k+1}···Z_{k−1}. Uses M = QR, R = UΣVᵀ: X = (A_(k)QU)Σ⁺Vᵀ, singular values under
 * the cutoff dropped (a minimum-norm solution when the subchain is rank-deficient).
 */
function solveCore(tensor: DenseTensor, cores: DenseTensor[], k: number, rcond: number | undefined): void {
  const d = cores.length;
  const order: DenseTensor[] = [];
  for (let j = 1; j < d; j++) order.push(cores[(k + j) % d]!);
  const chain = chainProduct(order); // [r_{k+1}, P, r_k]
  const [rb, P, ra] = chain.shape as [number, number, number];
  const q = ra * rb;
  const M = new Float64Array(P * q);
  const cd = chain.data;
  for (let b = 0; b < rb; b++)
    for (let J = 0; J < P; J++) {
      const src = (b * P + J) * ra;
      const dst = J * q + b;
      for (let a = 0; a < ra; a++) M[dst + a * rb] = cd[src + a]!;
    }
  const nk = tensor.shape[k]!;
  const Ak: Matrix = { rows: nk, cols: P, data: rotateModes(tensor, k).data }; // [n_k, P]
  // M = Q·R, R = U·Σ·Vᵀ (tall M): the SVD of M without forming Q·U; A_(k)·Q·U is all we need.
  let f: Svd;
  let AU: Matrix;
  if (P > q) {
    const { q: Q, r: Rm } = qr({ rows: P, cols: q, data: M });
    f = svd(Rm);
    AU = matmul(matmul(Ak, Q), f.u);
  } else {
    f = svd({ rows: P, cols: q, data: M });
    AU = matmul(Ak, f.u);
  }
  const t = f.s.length;
  const cut = (rcond ?? Math.max(P, q) * 2.220446049250313e-16) * (f.s[0] ?? 0);
  let keep = 0;
  while (keep < t && f.s[keep]! > cut) keep++;
  // X = (AU)_{:, <keep} Σ⁻¹ Vt_{<keep, :}
  const X = new Float64Array(nk * q);
  const V = f.vt.data;
  for (let i = 0; i < nk; i++) {
    const xo = i * q;
    for (let l = 0; l < keep; l++) {
      const c = AU.data[i * t + l]! / f.s[l]!;
      if (c === 0) continue;
      const vo = l * q;
      for (let j = 0; j < q; j++) X[xo + j] += c * V[vo + j]!;
    }
  }
  const core = new Float64Array(ra * nk * rb);
  for (let i = 0; i < nk; i++)
    for (let a = 0; a < ra; a++) {
      const src = i * q + a * rb;
      const dst = (a * nk + i) * rb;
      for (let b = 0; b < rb; b++) core[dst + b] = X[src + b]!;
    }
  cores[k] = { shape: [ra, nk, rb], data: core };
}

/**
 * Refines a tensor ring by alternating least squares, keeping its ranks. Starts from `init`
 * (usually {@link trSvd}'s result), sweeps over the cores at most `maxSweeps` times, stops early
 * when a sweep improves the relative error by less than `tol` (relative), and returns the best
 * iterate seen — never one worse than `init`. `meta` records `alsSweeps`, `relError` and
 * `relErrorStart`.
 */
export function trAls(tensor: DenseTensor, init: Factors, opts: TrAlsOptions = {}): Factors {
  const maxSweeps = numOpt(opts.maxSweeps, 'maxSweeps', 10, true);
  const tol = numOpt(opts.tol, 'tol', 1e-6, false);
  const rcond = opts.rcond === undefined ? undefined : numOpt(opts.rcond, 'rcond', 0, false);
  const { shape, ranks } = ringOf(init.cores);
  if (shape.length !== tensor.shape.length || shape.some((s, i) => s !== tensor.shape[i])) {
    fail(ErrorCodes.SHAPE, `TR-ALS: the cores give shape [${shape.join(', ')}] but the tensor is [${tensor.shape.join(', ')}]`);
  }
  if (shape.length < 2) fail(ErrorCodes.SHAPE, 'TR-ALS needs a tensor with at least 2 modes');
  assertFinite(tensor.data, 'the tensor to decompose');
  init.cores.forEach((c, k) => assertFinite(c.data, `TR core ${k}`));
  const startErr = relError(tensor, trReconstructCores(init.cores));
  let best = init.cores.map((c) => ({ shape: [...c.shape], data: c.data }));
  let bestErr = startErr;
  let sweeps = 0;
  if (frobNorm(tensor) > 0 && maxSweeps > 0 && startErr > 0) {
    const cores = init.cores.map((c) => ({ shape: [...c.shape], data: c.data.slice() }));
    let prev = startErr;
    for (let s = 0; s < maxSweeps; s++) {
      for (let k = 0; k < cores.length; k++) solveCore(tensor, cores, k, rcond);
      sweeps++;
      const err = relError(tensor, trReconstructCores(cores));
      if (!Number.isFinite(err)) break;
      if (err < bestErr) {
        bestErr = err;
        best = cores.map((c) => ({ shape: [...c.shape], data: c.data.slice() }));
      }
      if (!(prev - err > tol * prev)) break;
      prev = err;
    }
  }
  return {
    format: TR_FORMAT,
    shape: [...tensor.shape],
    ranks,
    cores: best,
    meta: { ...(init.meta ?? {}), alsSweeps: sweeps, relError: bestErr, relErrorStart: startErr },
  };
}
