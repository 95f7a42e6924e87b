/**
 * TT ranks: the one validation helper every entry point calls ({@link validateTtRanks}),
 * clamping to what a shape allows, parameter counts, and the data-free rank specs
 * (explicit ranks, max rank, target compression ratio).
 *
 * Convention: a tensor with d modes has d+1 TT ranks r_0..r_d with r_0 = r_d = 1; core k has
 * shape [r_k, n_k, r_{k+1}] (0-based).
 *
 * @module
 */
import { ErrorCodes, evaluateRank, evaluateRankSpec, fail, rankSpecKind, type RankScope, type RankSpec, type RankStep, type RankValue } from '@tensorslim/core';
import { matrix, sizeOf, svdValues, type DenseTensor } from '@tensorslim/linalg';

/** The rank convention of the TT format, as shown in help texts and errors. */
export const TT_RANK_CONVENTION = 'TT: d+1 ranks r0..rd for a d-mode tensor, with r0 = rd = 1 (core k is r_k × n_k × r_k+1)';

function exampleRanks(shape: readonly number[], r = 8): number[] {
  return clampTtRanks(shape, [1, ...new Array<number>(Math.max(0, shape.length - 1)).fill(r), 1]);
}

/** Checks a tensor shape for TT: at least one mode, positive integer sizes. */
export function validateTtShape(shape: readonly number[], what = 'tensor'): void {
  if (shape.length === 0) fail(ErrorCodes.SHAPE, `${what}: a TT decomposition needs at least one mode, got a scalar`);
  if (shape.some((n) => !Number.isInteger(n) || n < 1)) {
    fail(ErrorCodes.SHAPE, `${what}: shape [${shape.join(', ')}] must have positive integer mode sizes`);
  }
}

/**
 * Validates TT ranks for a tensor of `shape` and returns them as numbers: exactly d+1 values,
 * r_0 = r_d = 1, every rank a positive integer (formulas are evaluated against `scope`).
 * Ranks larger than the data allows are accepted here (see {@link clampTtRanks}).
 * Throws `TS_RANK` with the expected length for this shape otherwise.
 */
export function validateTtRanks(shape: readonly number[], ranks: readonly RankValue[], what = 'TT ranks', scope: RankScope = {}): number[] {
  validateTtShape(shape, what);
  const d = shape.length;
  const hint = `give d+1 = ${d + 1} ranks with r0 = r${d} = 1 for modes [${shape.join(', ')}], e.g. [${exampleRanks(shape).join(', ')}], or a max rank ({"maxRank": R}, --max-rank R)`;
  if (!Array.isArray(ranks)) fail(ErrorCodes.RANK, `${what} must be a list of ranks, got ${JSON.stringify(ranks)}`, hint);
  if (ranks.length !== d + 1) {
    fail(
      ErrorCodes.RANK,
      `${what} [${ranks.join(', ')}] have ${ranks.length} values, but a tensor with modes [${shape.join(', ')}] (d = ${d}) needs d+1 = ${d + 1} (r0..r${d})`,
      hint,
      { expected: d + 1, got: ranks.length, shape: [...shape] },
    );
  }
  const out = ranks.map((r, i) => {
    if (typeof r === 'number' && (!Number.isInteger(r) || r < 1)) {
      fail(ErrorCodes.RANK, `${what} [${ranks.join(', ')}]: r${i} = ${r} is not a positive integer`, hint);
    }
    return evaluateRank(r, scope);
  });
  if (out[0] !== 1 || out[d] !== 1) {
    fail(ErrorCodes.RANK, `${what} [${out.join(', ')}] must start and end with 1 (r0 = r${d} = 1), got r0 = ${out[0]}, r${d} = ${out[d]}`, hint);
  }
  return out;
}

/**
 * Clamps TT ranks to what TT-SVD (left to right) can produce for `shape`:
 * r_k ≤ min(r_{k-1}·n_{k-1}, n_k·…·n_{d-1}). Returns a new array; the input is not validated.
 */
export function clampTtRanks(shape: readonly number[], ranks: readonly number[]): number[] {
  const d = shape.length;
  const out = [...ranks];
  out[0] = 1;
  out[d] = 1;
  let right = sizeOf(shape);
  for (let k = 1; k < d; k++) {
    right /= shape[k - 1]!;
    out[k] = Math.max(1, Math.min(out[k]!, out[k - 1]! * shape[k - 1]!, right));
  }
  return out;
}

/** Stored parameters of a TT tensor: Σ_k r_k·n_k·r_{k+1}. Validates the ranks. */
export function ttParamCount(shape: readonly number[], ranks: readonly number[]): number {
  const r = validateTtRanks(shape, ranks);
  let p = 0;
  for (let k = 0; k < shape.length; k++) p += r[k]! * shape[k]! * r[k + 1]!;
  return p;
}

/** The TT ranks of a uniform maximum rank R, clamped to the shape. */
export function maxRankTtRanks(shape: readonly number[], maxRank: number): number[] {
  validateTtShape(shape);
  if (!Number.isInteger(maxRank) || maxRank < 1) fail(ErrorCodes.RANK, `maxRank ${maxRank} must be a positive integer`);
  return clampTtRanks(shape, [1, ...new Array<number>(shape.length - 1).fill(maxRank), 1]);
}

/** The largest useful uniform rank for a shape (beyond it every rank is clamped). */
export function fullTtRank(shape: readonly number[]): number {
  let best = 1;
  let left = 1;
  const total = sizeOf(shape);
  for (let k = 0; k < shape.length - 1; k++) {
    left *= shape[k]!;
    best = Math.max(best, Math.min(left, total / left));
  }
  return best;
}

/**
 * The ranks for a target compression ratio C (entries / parameters): the largest uniform
 * maximum rank R whose clamped ranks store at most entries / C parameters.
 * Throws `TS_RANK` when even rank 1 everywhere stores too much.
 */
export function ratioTtRanks(shape: readonly number[], ratio: number): number[] {
  validateTtShape(shape);
  if (typeof ratio !== 'number' || !(ratio > 0) || !Number.isFinite(ratio)) {
    fail(ErrorCodes.RANK, `compression ratio ${ratio} must be a positive finite number`);
  }
  const entries = sizeOf(shape);
  const budget = entries / ratio;
  const params = (r: number): number => ttParamCount(shape, maxRankTtRanks(shape, r));
  if (params(1) > budget) {
    fail(
      ErrorCodes.RANK,
      `compression ratio ${ratio} cannot be reached for modes [${shape.join(', ')}]: rank 1 everywhere stores ${params(1)} parameters (ratio ${(entries / params(1)).toFixed(3)})`,
      `ask for a ratio of at most ${(entries / params(1)).toFixed(3)}, or split the tensor into more, smaller modes`,
    );
  }
  let lo = 1;
  let hi = fullTtRank(shape);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (params(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return maxRankTtRanks(shape, lo);
}

/**
 * The ranks a data-free spec resolves to for `shape` (explicit ranks clamped, max rank, ratio).
 * `eps` and `auto` depend on the data: they return `null` (run {@link ttSvd} to resolve them).
 * Throws `TS_RANK` for a spec TT does not support (`auto`).
 */
export function resolveStaticTtRanks(shape: readonly number[], spec: RankSpec, scope: RankScope = {}): number[] | null {
  validateTtShape(shape);
  const kind = rankSpecKind(spec);
  if (kind === 'auto') {
    fail(
      ErrorCodes.RANK,
      'the TT format has no automatic rank choice',
      'use {"eps": E} for the smallest ranks within a relative error E, {"ratio": C}, {"maxRank": R} or explicit ranks',
    );
  }
  if (kind === 'eps') {
    evaluateRankSpec(spec, scope);
    return null;
  }
  if (kind === 'ranks') {
    return clampTtRanks(shape, validateTtRanks(shape, (spec as { ranks: readonly RankValue[] }).ranks, 'TT ranks', scope));
  }
  const ev = evaluateRankSpec(spec, scope);
  if (kind === 'maxRank') return maxRankTtRanks(shape, (ev as { maxRank: number }).maxRank);
  return ratioTtRanks(shape, (ev as { ratio: number }).ratio);
}

/**
 * TT's rank ladder for whole-model budgets (core's `Decomposition.rankLadder`): for each max
 * rank R from the largest the shape allows down to 1, the ranks {@link maxRankTtRanks} gives and
 * the TT-SVD error bound Σ_k Σ_{i>r_k} σ_i(X_⟨k⟩)² over the tensor's sequential unfoldings
 * X_⟨k⟩ (n_1···n_k × n_{k+1}···n_d), which TT-SVD's error never exceeds (Oseledets 2011, Thm 2.2).
 */
export function ttRankLadder(tensor: DenseTensor): RankStep[] {
  const shape = tensor.shape;
  validateTtShape(shape);
  const total = tensor.data.length;
  const spectra: Float64Array[] = [];
  let rows = 1;
  for (let k = 0; k < shape.length - 1; k++) {
    rows *= shape[k]!;
    const sv = svdValues(matrix(rows, total / rows, tensor.data));
    spectra.push(sv.map((v) => v * v));
  }
  const tail = (lam: Float64Array, r: number) => {
    let t = 0;
    for (let i = lam.length - 1; i >= r; i--) t += lam[i]!;
    return t;
  };
  const top = Math.max(1, ...maxRankTtRanks(shape, total));
  const steps: RankStep[] = [];
  let last = '';
  for (let R = top; R >= 1; R--) {
    const ranks = maxRankTtRanks(shape, R);
    const key = ranks.join(',');
    if (key === last) continue;
    last = key;
    steps.push({ ranks, err2: spectra.reduce((s, lam, k) => s + tail(lam, ranks[k + 1]!), 0) });
  }
  return steps;
}
