/**
 * The TT algorithms as plain functions over linalg's dense tensor: TT-SVD (Oseledets 2011,
 * Algorithm 1), reconstruction, and TT rounding (Algorithm 2); and the {@link ttDecomposition}
 * object that wraps them for the plugin.
 *
 * TT-SVD goes left to right, one truncated SVD per unfolding. The unfolding at step k is the
 * carried matrix reshaped to [r_k·n_k, n_{k+1}·…·n_{d-1}]; in row-major storage that reshape is
 * free, so the whole sweep moves no data except what the SVDs themselves produce.
 *
 * @module
 */
import { assertFinite, ErrorCodes, fail, type DecomposeOptions, type Decomposition, type Factors, type RankScope, type RankSpec } from '@tensorslim/core';
import { frobNorm, identity, matmul, matrix, qr, Rng, svd, transpose, truncatedSvd, type DenseTensor, type Matrix } from '@tensorslim/linalg';
import { certifiedRandomizedSvd, chainProduct, leadingColumns, rankWithin, scaleRows } from '@tensorslim/spectra';
import { clampTtRanks, resolveStaticTtRanks, TT_RANK_CONVENTION, ttParamCount, validateTtRanks, validateTtShape, ttRankLadder } from './ranks.js';

/** The format id of this plugin. */
export const TT_FORMAT = 'tt';

/** Options of {@link ttSvd}. */
export interface TtSvdOptions extends DecomposeOptions {
  /**
   * SVD per unfolding: 'exact' (linalg's economy SVD), 'randomized' (linalg's randomized SVD where
   * the rank is at most a quarter of the unfolding's smaller side, accepted only when an a
   * posteriori bound shows it matches the exact truncation, else the 'auto' path runs), or
   * 'auto' (default: linalg's `truncatedSvd`, whose automatic choice matches the exact truncation
   * to rounding — the Gram path when the spectrum allows it, else the exact SVD).
   */
  readonly svd?: 'auto' | 'exact' | 'randomized';
  /** Random generator of the randomized SVD (default: a fixed seed). */
  readonly rng?: Rng;
  /** Names rank formulas may use (cin, cout, kh, kw, d). */
  readonly scope?: RankScope;
}

/** How each step of a TT-SVD was computed (in `Factors.meta.steps`). */
export type TtStepKind = 'identity' | 'qr' | 'svd' | 'randomized';

/** One truncation step: the left factor (rows×k, orthonormal columns) and the carried k×cols matrix. */
interface Step {
  left: Matrix;
  carry: Matrix;
  kind: TtStepKind;
}

function fullStep(c: Matrix): Step {
  if (c.rows <= c.cols) return { left: identity(c.rows), carry: c, kind: 'identity' };
  const { q, r } = qr(c);
  return { left: q, carry: r, kind: 'qr' };
}

function truncatedStep(c: Matrix, k: number, method: TtSvdOptions['svd'], rng: () => Rng): Step {
  const kmax = Math.min(c.rows, c.cols);
  if (k >= kmax) return fullStep(c);
  if (method === 'randomized' && 4 * k <= kmax) {
    const f = certifiedRandomizedSvd(c, k, rng());
    if (f) return { left: leadingColumns(f.u, k), carry: scaleRows(f.s, f.vt, k), kind: 'randomized' };
  }
  const f = method === 'exact' ? svd(c, { k }) : truncatedSvd(c, k);
  return { left: leadingColumns(f.u, k), carry: scaleRows(f.s, f.vt, k), kind: 'svd' };
}

/**
 * TT-SVD of a dense tensor. `spec`:
 * - `{ranks}`: d+1 ranks with r0 = rd = 1 (clamped to what the shape allows);
 * - `{maxRank}`: every internal rank capped;
 * - `{ratio}`: the largest uniform max rank reaching entries/params ≥ ratio;
 * - `{eps}`: per-step threshold ε/√(d−1)·‖A‖_F, so ‖A − TT(A)‖_F ≤ ε‖A‖_F.
 *
 * Steps that truncate nothing skip the SVD (an identity core for a wide unfolding, a QR for a
 * tall one); the TT tensor is the same. Core k of the result has shape [r_k, n_k, r_{k+1}], the
 * first d−1 cores are left-orthonormal and the norm sits in the last core.
 */
export function ttSvd(t: DenseTensor, spec: RankSpec, opts: TtSvdOptions = {}): Factors {
  const shape = [...t.shape];
  validateTtShape(shape);
  if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
    fail(ErrorCodes.SHAPE, `tensor data of length ${t.data.length} does not fill shape [${shape.join(', ')}]`);
  }
  assertFinite(t.data, 'the tensor to decompose');
  const d = shape.length;
  const target = resolveStaticTtRanks(shape, spec, opts.scope);
  const method = opts.svd ?? 'auto';
  if (!['auto', 'exact', 'randomized'].includes(method)) {
    fail(ErrorCodes.OPTION, `svd option "${String(method)}" must be auto, exact or randomized`);
  }
  let rngCache: Rng | undefined;
  const rng = (): Rng => (rngCache ??= opts.rng ?? new Rng(0x7757d));
  let delta = 0;
  if (target === null) {
    const eps = (spec as { eps: number }).eps;
    delta = d > 1 ? (eps / Math.sqrt(d - 1)) * frobNorm(t) : 0;
  }
  const ranks = [1];
  const cores: DenseTensor[] = [];
  const steps: TtStepKind[] = [];
  let carry = t.data;
  let right = carry.length;
  for (let k = 0; k < d - 1; k++) {
    const rPrev = ranks[k]!;
    right /= shape[k]!;
    const c = matrix(rPrev * shape[k]!, right, carry);
    let step: Step;
    if (target !== null) {
      step = truncatedStep(c, target[k + 1]!, method, rng);
    } else {
      const f = svd(c);
      const r = rankWithin(f.s, delta).rank;
      step = { left: leadingColumns(f.u, r), carry: scaleRows(f.s, f.vt, r), kind: 'svd' };
    }
    const rk = step.left.cols;
    ranks.push(rk);
    cores.push({ shape: [rPrev, shape[k]!, rk], data: step.left.data });
    steps.push(step.kind);
    carry = step.carry.data;
  }
  ranks.push(1);
  // never hand out the caller's buffer as a core (all-identity sweeps carry it through)
  cores.push({ shape: [ranks[d - 1]!, shape[d - 1]!, 1], data: carry === t.data ? carry.slice() : carry });
  return { format: TT_FORMAT, shape, ranks, cores, meta: { algorithm: 'tt-svd', steps } };
}

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
  const data = chainProduct(f.cores).data;
  return { shape: [...f.shape], data: f.cores.length === 1 ? data.slice() : data };
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
    const s = svd(matrix(rows, rk, cores[k]!));
    const r = Math.max(1, Math.min(want ? want[k + 1]! : rankWithin(s.s, delta).rank, s.s.length));
    const next = matrix(rk, shape[k + 1]! * ranks[k + 2]!, cores[k + 1]!);
    cores[k] = leadingColumns(s.u, r).data;
    cores[k + 1] = matmul(scaleRows(s.s, s.vt, r), next).data;
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

/**
 * The ranks `spec` resolves to for a tensor of `shape`, clamped to what the shape allows.
 * `{eps}` depends on the data: pass `opts.tensor` (a TT-SVD is run to find them).
 */
export function resolveTtRanks(shape: readonly number[], spec: RankSpec, opts: TtSvdOptions & { tensor?: DenseTensor } = {}): number[] {
  const r = resolveStaticTtRanks(shape, spec, opts.scope);
  if (r) return r;
  if (!opts.tensor) {
    fail(ErrorCodes.RANK, 'TT ranks for an eps spec depend on the data', 'pass the tensor (opts.tensor) or use explicit ranks, maxRank or ratio');
  }
  return [...ttSvd(opts.tensor, spec, opts).ranks];
}

/** The TT decomposition: TT-SVD, reconstruction, parameter count, rank resolution. */
export const ttDecomposition: Decomposition = {
  decompose: (tensor, spec, opts) => ttSvd(tensor, spec, opts as TtSvdOptions),
  reconstruct: ttReconstruct,
  paramCount: (shape, ranks) => ttParamCount(shape, ranks),
  resolveRanks: (shape, spec, opts) => resolveTtRanks(shape, spec, opts as TtSvdOptions & { tensor?: DenseTensor }),
  rankConvention: TT_RANK_CONVENTION,
  rankLadder: (tensor) => ttRankLadder(tensor),
};
