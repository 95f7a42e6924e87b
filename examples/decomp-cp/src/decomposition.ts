/**
 * Rank specs for CP and the plugin's {@link Decomposition} object: explicit `ranks: [R]`,
 * `maxRank`, `ratio` (the largest R within the parameter budget) and `eps` (the smallest R whose
 * CP-ALS fit reaches the tolerance, trying R = 1, 2, … up to a cap).
 *
 * @module
 */
import {
  ErrorCodes,
  evaluateRankSpec,
  fail,
  rankSpecKind,
  type Decomposition,
  type Factors,
  type RankSpec,
  type RankValue,
} from '@tensorslim/core';
import { type DenseTensor } from '@tensorslim/linalg';
import { cpAlsAtRank, cpParamCount, reconstructCp, type CpAlsMeta, type CpAlsOptions } from './cp-als.js';
import { CP_RANK_CONVENTION, maxCpRank, validateCpRanks, validateCpShape } from './validate.js';

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

/**
 * The smallest rank R ≤ cap whose CP-ALS fit has relative error ≤ `eps`, with its factors. When
 * no R up to the cap reaches `eps`, the cap's factors are returned and `meta.epsReached` is false.
 */
export function cpEpsSearch(tensor: DenseTensor, eps: number, opts: CpAlsOptions = {}): Factors {
  validateCpShape(tensor.shape);
  if (typeof eps !== 'number' || !(eps >= 0)) fail(ErrorCodes.RANK, `cp: error tolerance eps ${String(eps)} must be a number ≥ 0`);
  const bound = maxCpRank(tensor.shape);
  const cap = opts.rankCap ?? Math.min(64, bound);
  if (!Number.isInteger(cap) || cap < 1) fail(ErrorCodes.OPTION, `cp: rankCap ${String(cap)} must be a positive integer`);
  let last: Factors | null = null;
  for (let r = 1; r <= Math.min(cap, bound); r++) {
    last = cpAlsAtRank(tensor, r, opts);
    const err = (last.meta as unknown as CpAlsMeta).relError;
    if (err <= eps) return { ...last, meta: { ...last.meta, eps, epsReached: true } };
  }
  return { ...last!, meta: { ...last!.meta, eps, epsReached: false } };
}

/**
 * The ranks `spec` resolves to for a tensor of `shape` (always `[R]`, clamped to
 * {@link maxCpRank}). `eps` runs the search of {@link cpEpsSearch} and so needs `opts.tensor`;
 * `auto` is not offered by CP.
 */
export function resolveCpRanks(shape: readonly number[], spec: RankSpec, opts: CpAlsOptions & { tensor?: DenseTensor } = {}): number[] {
  validateCpShape(shape);
  const kind = rankSpecKind(spec);
  if (kind === 'ranks') return [validateCpRanks(shape, (spec as { ranks: readonly RankValue[] }).ranks).rank];
  const s = evaluateRankSpec(spec);
  switch (kind) {
    case 'maxRank':
      return [validateCpRanks(shape, [(s as { maxRank: number }).maxRank], 'maxRank').rank];
    case 'ratio':
      return [ratioCpRank(shape, (s as { ratio: number }).ratio)];
    case 'eps': {
      if (!opts.tensor) {
        fail(ErrorCodes.RANK, 'cp: an eps rank spec depends on the data', 'pass the tensor (resolveRanks(shape, spec, { tensor })) or use ranks/maxRank/ratio');
      }
      return [...cpEpsSearch(opts.tensor, (s as { eps: number }).eps, opts).ranks];
    }
    default:
      return fail(ErrorCodes.RANK, 'cp has no automatic rank choice ({auto})', 'use {"ranks":[R]}, {"maxRank":R}, {"ratio":C} or {"eps":E}');
  }
}

/**
 * CP-ALS at the rank `spec` resolves to: returns `{ format: 'cp', shape, ranks: [R],
 * cores: [A_1, …, A_d, λ] }`, the factor matrices [I_k, R] with unit-norm columns ordered by
 * descending λ, and {@link CpAlsMeta} in `meta`.
 */
export function cpAls(tensor: DenseTensor, spec: RankSpec, opts: CpAlsOptions = {}): Factors {
  validateCpShape(tensor.shape);
  if (rankSpecKind(spec) === 'eps') return cpEpsSearch(tensor, (evaluateRankSpec(spec) as { eps: number }).eps, opts);
  const [r] = resolveCpRanks(tensor.shape, spec, opts);
  const asked = rankSpecKind(spec) === 'ranks' ? validateCpRanks(tensor.shape, (spec as { ranks: readonly RankValue[] }).ranks) : null;
  const f = cpAlsAtRank(tensor, r!, opts);
  return asked?.clamped ? { ...f, meta: { ...f.meta, requestedRank: asked.requested } } : f;
}

/** The CP {@link Decomposition}: CP-ALS, reconstruction, parameter count and rank resolution. */
export const cpDecomposition: Decomposition = {
  rankConvention: CP_RANK_CONVENTION,
  resolveRanks(shape, spec, opts) {
    return resolveCpRanks(shape, spec, opts as CpAlsOptions & { tensor?: DenseTensor });
  },
  decompose(tensor, spec, opts) {
    return cpAls(tensor, spec, opts as CpAlsOptions);
  },
  reconstruct(factors) {
    return reconstructCp(factors);
  },
  paramCount(shape, ranks) {
    return cpParamCount(shape, ranks);
  },
};
