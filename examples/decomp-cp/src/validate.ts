/**
 * The one place that checks CP shapes, ranks and factors. Every entry point of the plugin
 * (decompose, reconstruct, paramCount, resolveRanks, the projector, the layers and their
 * factory) calls these helpers, so a bad rank fails the same way wherever it comes in.
 *
 * @module
 */
import { ErrorCodes, evaluateRank, fail, type Factors, type RankValue } from '@tensorslim/core';

/** The rank convention, as shown in help texts and errors. */
export const CP_RANK_CONVENTION = 'one number: the CP rank R (ranks: [R])';

/** Checks that `shape` is something CP can decompose: at least 2 modes, positive integer sizes. */
export function validateCpShape(shape: readonly number[], what = 'tensor'): void {
  if (!Array.isArray(shape) || shape.length < 2) {
    fail(
      ErrorCodes.SHAPE,
      `CP needs a tensor with at least 2 modes; the ${what} has shape [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`,
      'tensorize the kernel first (core tensorize(kernel, layout)), which gives [Cout, kh·kw, Cin] or [Out, In]',
    );
  }
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 1) {
      fail(ErrorCodes.SHAPE, `the ${what} shape [${shape.join(', ')}] has a size that is not a positive integer`);
    }
  }
}

/**
 * The largest CP rank a tensor of `shape` can need: min over n of ∏_{k≠n} I_k (slicing along the
 * largest mode writes any tensor as that many rank-1 terms). Ranks above it are clamped to it.
 */
export function maxCpRank(shape: readonly number[]): number {
  validateCpShape(shape);
  const total = shape.reduce((p, s) => p * s, 1);
  return Math.min(...shape.map((s) => total / s));
}

/** The outcome of {@link validateCpRanks}. */
export interface CpRankCheck {
  /** The rank to use (clamped to {@link maxCpRank}). */
  readonly rank: number;
  /** The rank that was asked for. */
  readonly requested: number;
  /** Whether the request was above what the shape allows. */
  readonly clamped: boolean;
}

function rankValue(v: RankValue, where: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 1) {
      fail(ErrorCodes.RANK, `${where}: CP rank ${v} is not a positive integer`, 'pass ranks: [R] with a whole number R ≥ 1');
    }
    return v;
  }
  if (typeof v === 'string') return evaluateRank(v); // formulas: TS_FORMULA / TS_RANK from core
  return fail(ErrorCodes.RANK, `${where}: CP rank ${JSON.stringify(v)} is not a number`, 'pass ranks: [R] with a whole number R ≥ 1');
}

/**
 * The one rank check of the CP format: `ranks` must be a list of exactly one positive integer
 * (or a formula evaluating to one). A rank above {@link maxCpRank} is clamped. Throws `TS_RANK`.
 */
export function validateCpRanks(shape: readonly number[], ranks: readonly RankValue[], where = 'cp'): CpRankCheck {
  validateCpShape(shape);
  if (!Array.isArray(ranks) || ranks.length !== 1) {
    fail(
      ErrorCodes.RANK,
      `${where}: CP takes one rank, got ${Array.isArray(ranks) ? `${ranks.length} ([${ranks.join(', ')}])` : JSON.stringify(ranks)}`,
      `pass ranks: [R], the number of rank-1 terms (at most ${maxCpRank(shape)} for shape [${shape.join(', ')}])`,
    );
  }
  const requested = rankValue(ranks[0]!, where);
  const bound = maxCpRank(shape);
  return { rank: Math.min(requested, bound), requested, clamped: requested > bound };
}

/** What {@link validateCpFactors} returns: the pieces of a CP factorization. */
export interface CpParts {
  /** The CP rank R. */
  readonly rank: number;
  /** The d factor matrices, each [I_k, R] row-major. */
  readonly factors: readonly { readonly shape: readonly number[]; readonly data: Float64Array }[];
  /** The weights λ, length R. */
  readonly weights: Float64Array;
}

/**
 * Checks that `f` is a CP factorization as this plugin writes it: `format: 'cp'`,
 * `ranks: [R]`, `cores = [A_1, ..., A_d, λ]` with A_k of shape [I_k, R] and λ of shape [R].
 */
export function validateCpFactors(f: Factors, where = 'cp'): CpParts {
  if (!f || typeof f !== 'object') fail(ErrorCodes.SHAPE, `${where}: factors must be an object`);
  if (f.format !== 'cp') {
    fail(ErrorCodes.SHAPE, `${where}: factors of format "${String(f.format)}" are not CP factors`, 'decompose with the cp plugin');
  }
  validateCpShape(f.shape, 'factors');
  const { rank } = validateCpRanks(f.shape, f.ranks, where);
  const d = f.shape.length;
  if (!Array.isArray(f.cores) || f.cores.length !== d + 1) {
    fail(
      ErrorCodes.SHAPE,
      `${where}: a CP factorization of a ${d}-mode tensor has ${d + 1} cores (${d} factor matrices and the weights λ), got ${Array.isArray(f.cores) ? f.cores.length : 'none'}`,
    );
  }
  for (let k = 0; k < d; k++) {
    const c = f.cores[k]!;
    if (c.shape.length !== 2 || c.shape[0] !== f.shape[k] || c.shape[1] !== rank || c.data.length !== f.shape[k]! * rank) {
      fail(ErrorCodes.SHAPE, `${where}: factor ${k} has shape [${c.shape.join(', ')}], expected [${f.shape[k]}, ${rank}]`);
    }
  }
  const w = f.cores[d]!;
  if (w.shape.length !== 1 || w.shape[0] !== rank || w.data.length !== rank) {
    fail(ErrorCodes.SHAPE, `${where}: the weights λ have shape [${w.shape.join(', ')}], expected [${rank}]`);
  }
  return { rank, factors: f.cores.slice(0, d), weights: w.data };
}
