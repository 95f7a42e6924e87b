/**
 * CP ranks: the one place that checks CP shapes and ranks. Every entry point of the plugin
 * (decompose, reconstruct, paramCount, resolveRanks, the projector, the layers) calls these
 * helpers, so a bad rank fails the same way wherever it comes in.
 *
 * @module
 */
import { ErrorCodes, evaluateRank, fail, type RankValue } from '@tensorslim/core';

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

/** The rank R whose CP parameter count R·ΣI_k gives at least compression `ratio` (entries / parameters). */
export function ratioCpRank(shape: readonly number[], ratio: number): number {
  validateCpShape(shape);
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || !(ratio > 0)) {
    fail(ErrorCodes.RANK, `cp: compression ratio ${String(ratio)} must be a positive finite number`);
  }
  const entries = shape.reduce((p, s) => p * s, 1);
  const perRank = shape.reduce((s, n) => s + n, 0);
  const r = Math.floor(entries / ratio / perRank + 1e-9);
  if (r < 1) {
    fail(
      ErrorCodes.RANK,
      `cp: compression ratio ${ratio} cannot be reached for shape [${shape.join(', ')}]: rank 1 stores ${perRank} parameters (ratio ${(entries / perRank).toFixed(3)})`,
      `ask for a ratio of at most ${(entries / perRank).toFixed(3)}`,
    );
  }
  return Math.min(r, maxCpRank(shape));
}
