/**
 * TT-SVD (Oseledets 2011, Algorithm 1): left to right, one truncated SVD per unfolding.
 *
 * The unfolding at step k is the carried matrix reshaped to [r_k·n_k, n_{k+1}·…·n_{d-1}]; in
 * row-major storage that reshape is free, so the whole sweep moves no data except what the
 * SVDs themselves produce.
 *
 * @module
 */
import {
  assertFinite,
  ErrorCodes,
  fail,
  type DecomposeOptions,
  type Factors,
  type RankScope,
  type RankSpec,
} from '@tensorslim/core';
import {
  frobNorm,
  identity,
  matmul,
  matrix,
  qr,
  randomizedSvd,
  Rng,
  svd,
  truncate,
  truncatedSvd,
  type DenseTensor,
  type Matrix,
  type Svd,
} from '@tensorslim/linalg';
import { resolveStaticTtRanks, validateTtShape } from './ranks.js';

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

/** The first k columns of a row-major matrix, as a new matrix (cores never alias SVD buffers). */
function leadingColumns(a: Matrix, k: number): Matrix {
  if (a.cols === k) return matrix(a.rows, k, a.data.slice());
  const out = new Float64Array(a.rows * k);
  for (let i = 0; i < a.rows; i++) out.set(a.data.subarray(i * a.cols, i * a.cols + k), i * k);
  return matrix(a.rows, k, out);
}

/** diag(s[0..k)) · vt[0..k) as a new k×n matrix (never writes into the SVD's buffers). */
function scaleRows(s: Float64Array, vt: Matrix, k: number): Matrix {
  const n = vt.cols;
  const out = vt.data.slice(0, k * n);
  for (let i = 0; i < k; i++) {
    const si = s[i]!;
    const row = out.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < n; j++) row[j] = row[j]! * si;
  }
  return matrix(k, n, out);
}

/** Squared Frobenius norm of A − U·diag(s)·Vt (U: m×l, Vt: l×n). */
function residualSq(a: Matrix, f: Svd): number {
  const l = f.s.length;
  const us = new Float64Array(f.u.rows * l);
  for (let i = 0; i < f.u.rows; i++) for (let j = 0; j < l; j++) us[i * l + j] = f.u.data[i * f.u.cols + j]! * f.s[j]!;
  const approx = matmul(matrix(f.u.rows, l, us), f.vt);
  let r = 0;
  for (let i = 0; i < a.data.length; i++) {
    const e = a.data[i]! - approx.data[i]!;
    r += e * e;
  }
  return r;
}

/**
 * Randomized truncated SVD with a certificate. The sketch keeps l = max(k + 10, min(2k, k + 16))
 * directions (at most min(m, n)): linalg's `randomizedSvd` at rank l, with its default
 * oversampling and 2 power iterations. With R = A − U_l S_l V_lᵀ, Ky Fan's inequality bounds the
 * energy the exact rank-k truncation could keep beyond ours by ‖R‖²_F. The rank-k truncation is
 * returned only when that bound is negligible (‖R‖²_F ≤ 1e-10 of the energy our truncation
 * discards, or ‖R‖_F ≤ 1e-13‖A‖_F); otherwise `null`.
 */
export function certifiedRandomizedSvd(a: Matrix, k: number, rng: Rng): Svd | null {
  const kmax = Math.min(a.rows, a.cols);
  const l = Math.min(kmax, Math.max(k + 10, Math.min(2 * k, k + 16)));
  const f = randomizedSvd(a, l, { rng, powerIters: 2 });
  const r2 = residualSq(a, f);
  let tail = 0;
  for (let i = k; i < f.s.length; i++) tail += f.s[i]! * f.s[i]!;
  const a2 = frobNorm(a) ** 2;
  if (r2 <= 1e-10 * (tail + r2) || r2 <= 1e-26 * a2) return truncate(f, k);
  return null;
}

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

/** The smallest rank whose discarded singular values have norm ≤ delta (at least 1). */
export function epsRank(s: Float64Array, delta: number): number {
  let tail = 0;
  let r = s.length;
  // walk from the smallest singular value up while the tail stays within delta
  while (r > 1) {
    const next = tail + s[r - 1]! * s[r - 1]!;
    if (Math.sqrt(next) > delta) break;
    tail = next;
    r--;
  }
  return r;
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
      const r = epsRank(f.s, delta);
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
