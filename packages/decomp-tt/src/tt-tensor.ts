/**
 * Working with TT tensors as factors: checking them, rebuilding the dense tensor, and TT
 * rounding (re-truncation without going dense).
 *
 * @module
 */
import { ErrorCodes, fail, type Factors, type RankScope, type RankSpec } from '@tensorslim/core';
import { frobNorm, matmul, matrix, qr, svd, transpose, type DenseTensor } from '@tensorslim/linalg';
import { clampTtRanks, resolveStaticTtRanks, validateTtRanks } from './ranks.js';
import { epsRank, TT_FORMAT } from './tt-svd.js';

/**
 * Checks that factors are a well-formed TT tensor: format "tt", ranks valid for the shape, and
 * core k of shape [r_k, n_k, r_{k+1}] filled with data. Throws `TS_RANK`/`TS_SHAPE` otherwise.
 */
export function validateTtFactors(f: Factors, what = 'TT factors'): void {
  if (f.format !== TT_FORMAT) fail(ErrorCodes.OPTION, `${what} are in format "${f.format}", not "${TT_FORMAT}"`);
  const ranks = validateTtRanks(f.shape, f.ranks, `${what}: ranks`);
  const d = f.shape.length;
  if (f.cores.length !== d) fail(ErrorCodes.SHAPE, `${what}: ${f.cores.length} cores for a tensor with ${d} modes`, 'a TT tensor has one core per mode');
  for (let k = 0; k < d; k++) {
    const want = [ranks[k]!, f.shape[k]!, ranks[k + 1]!];
    const c = f.cores[k]!;
    if (c.shape.length !== 3 || c.shape.some((s, i) => s !== want[i]) || c.data.length !== want[0]! * want[1]! * want[2]!) {
      fail(ErrorCodes.SHAPE, `${what}: core ${k} has shape [${c.shape.join(', ')}] (${c.data.length} entries), expected [${want.join(', ')}]`);
    }
  }
}

/** Rebuilds the dense tensor from TT cores (a left-to-right chain of matrix products). */
export function ttReconstruct(f: Factors): DenseTensor {
  validateTtFactors(f);
  const d = f.shape.length;
  let m = matrix(f.shape[0]!, f.ranks[1]!, f.cores[0]!.data);
  for (let k = 1; k < d; k++) {
    const rk = f.ranks[k]!;
    const g = matrix(rk, f.shape[k]! * f.ranks[k + 1]!, f.cores[k]!.data);
    const p = matmul(m, g);
    m = matrix(p.rows * f.shape[k]!, f.ranks[k + 1]!, p.data);
  }
  const data = d === 1 ? m.data.slice() : m.data;
  return { shape: [...f.shape], data };
}

/** Stored parameters of TT factors (the sum of the core sizes). */
export function ttFactorsParamCount(f: Factors): number {
  return f.cores.reduce((a, c) => a + c.data.length, 0);
}

/** Options of {@link ttRound}. */
export interface TtRoundOptions {
  /** Names rank formulas may use. */
  readonly scope?: RankScope;
}

/**
 * TT rounding (Oseledets 2011, Algorithm 2): re-truncates a TT tensor to the ranks `spec`
 * asks for (or to relative accuracy ε) without forming the dense tensor. A right-to-left QR
 * sweep makes cores 1..d−1 right-orthonormal, then a left-to-right sweep of truncated SVDs
 * cuts each rank. With `{eps}`, ‖X − round(X)‖_F ≤ ε‖X‖_F.
 */
export function ttRound(f: Factors, spec: RankSpec, opts: TtRoundOptions = {}): Factors {
  validateTtFactors(f);
  const shape = [...f.shape];
  const d = shape.length;
  const target = resolveStaticTtRanks(shape, spec, opts.scope);
  const ranks = [...f.ranks];
  const cores = f.cores.map((c) => c.data);
  // 1. right-to-left orthogonalization
  for (let k = d - 1; k >= 1; k--) {
    const rk = ranks[k]!;
    const cols = shape[k]! * ranks[k + 1]!;
    const g = matrix(rk, cols, cores[k]!);
    const { q, r } = qr(transpose(g)); // gᵀ (cols×rk) = q r, so g = rᵀ qᵀ
    const rNew = q.cols;
    cores[k] = transpose(q).data; // rNew × cols, orthonormal rows
    const prev = matrix(ranks[k - 1]! * shape[k - 1]!, rk, cores[k - 1]!);
    cores[k - 1] = matmul(prev, r, { transB: true }).data; // (r_{k-1} n_{k-1}) × rNew
    ranks[k] = rNew;
  }
  // 2. left-to-right truncation
  let want: number[] | null = null;
  let delta = 0;
  if (target === null) {
    const eps = (spec as { eps: number }).eps;
    delta = d > 1 ? (eps / Math.sqrt(d - 1)) * frobNorm({ data: cores[0]! }) : 0;
  } else {
    want = clampTtRanks(shape, target);
  }
  for (let k = 0; k < d - 1; k++) {
    const rows = ranks[k]! * shape[k]!;
    const rk = ranks[k + 1]!;
    const g = matrix(rows, rk, cores[k]!);
    const s = svd(g);
    const r = Math.max(1, Math.min(want ? want[k + 1]! : epsRank(s.s, delta), s.s.length));
    const u = new Float64Array(rows * r);
    for (let i = 0; i < rows; i++) for (let j = 0; j < r; j++) u[i * r + j] = s.u.data[i * s.u.cols + j]!;
    const sv = new Float64Array(r * rk);
    for (let i = 0; i < r; i++) for (let j = 0; j < rk; j++) sv[i * rk + j] = s.s[i]! * s.vt.data[i * s.vt.cols + j]!;
    const next = matrix(rk, shape[k + 1]! * ranks[k + 2]!, cores[k + 1]!);
    cores[k] = u;
    cores[k + 1] = matmul(matrix(r, rk, sv), next).data;
    ranks[k + 1] = r;
  }
  return {
    format: TT_FORMAT,
    shape,
    ranks,
    cores: cores.map((data, k) => ({ shape: [ranks[k]!, shape[k]!, ranks[k + 1]!], data })),
    meta: { algorithm: 'tt-round' },
  };
}
