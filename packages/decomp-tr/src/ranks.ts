/**
 * Tensor-ring ranks: the one validation helper every entry point calls
 * ({@link validateTrRanks}), parameter counts, and how each {@link RankSpec} resolves to ring
 * ranks.
 *
 * Convention: a d-mode tensor has d ring ranks `[r_0, …, r_{d−1}]`; core k has shape
 * `[r_k, n_k, r_{(k+1) mod d}]`, so the ring closes on r_0 (the last core's right rank).
 *
 * @module
 */
import { ErrorCodes, evaluateRankFormulas, fail, rankSpecKind, type RankSpec } from '@tensorslim/core';
import { sizeOf } from '@tensorslim/linalg';

/** One line describing the TR rank convention (help texts and errors). */
export const TR_RANK_CONVENTION = 'TR: d ring ranks [r0, r1, ..., r(d-1)] for a d-mode tensor; core k is [r_k, n_k, r_(k+1)] and the ring closes on r0';

/** Options of {@link validateTrRanks}. */
export interface ValidateTrRanksOptions {
  /**
   * The mode whose unfolding TR-SVD splits into `r_m · r_{m+1}` (default 0). Only read when
   * `forSvd` is true.
   */
  readonly startMode?: number;
  /**
   * Check and clamp for TR-SVD (default true): `r_m · r_{m+1}` must fit the start mode's unfolding
   * (otherwise `TS_RANK` saying which ranks or start modes would work), and every later rank is
   * clamped to the size of the unfolding it truncates. With `false` only the length and
   * positivity are checked (a layer or a parameter count may use any ring ranks).
   */
  readonly forSvd?: boolean;
  /** What the ranks belong to, for messages (default "TR ranks"). */
  readonly what?: string;
}

/** Largest product a·b with a ≤ capA, b ≤ capB, a·b ≤ limit; ties go to the most balanced pair. */
function bestPair(capA: number, capB: number, limit: number): [number, number] {
  let best: [number, number] = [1, 1];
  for (let a = 1; a <= Math.min(capA, limit); a++) {
    const b = Math.min(capB, Math.floor(limit / a));
    if (b < 1) break;
    const p = a * b;
    const bp = best[0] * best[1];
    if (p > bp || (p === bp && Math.abs(a - b) < Math.abs(best[0] - best[1]))) best = [a, b];
  }
  return best;
}

/** The largest `r_m · r_{m+1}` the mode-m unfolding (n_m × N/n_m) of `shape` allows. */
export function firstSplitLimit(shape: readonly number[], mode: number): number {
  const n = shape[mode]!;
  return Math.min(n, sizeOf(shape) / n);
}

/** Checks a start mode: an integer in [0, d). */
export function validateStartMode(startMode: unknown, d: number): number {
  const m = startMode === undefined ? 0 : startMode;
  if (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m >= d) {
    fail(ErrorCodes.OPTION, `TR start mode ${String(startMode)} is not a mode of a ${d}-mode tensor`, `use an integer from 0 to ${d - 1}`);
  }
  return m;
}

/**
 * Validates ring ranks for a tensor of `shape` and returns them, clamped for TR-SVD.
 *
 * Always: `shape` has at least two positive modes, `ranks` has exactly d positive integers
 * (`TS_RANK` otherwise). With `forSvd` (default): the start mode's `r_m · r_{m+1}` must not exceed
 * min(n_m, N/n_m) — the error names the start modes where the ranks fit and a pair of ranks that
 * fits this one — and each later rank r_{k+1} is clamped to the unfolding TR-SVD truncates
 * (min(r_k·n_k, n_{k+1}···n_{m−1}·r_m), in ring order from the start mode).
 */
export function validateTrRanks(shape: readonly number[], ranks: readonly number[], opts: ValidateTrRanksOptions = {}): number[] {
  const what = opts.what ?? 'TR ranks';
  const d = shape.length;
  if (d < 2)
    fail(ErrorCodes.SHAPE, `a tensor ring needs a tensor with at least 2 modes, got shape [${shape.join(', ')}]`, 'reshape the tensor into modes first');
  if (shape.some((s) => !Number.isInteger(s) || s < 1)) fail(ErrorCodes.SHAPE, `shape [${shape.join(', ')}] has a mode that is not a positive integer`);
  if (!Array.isArray(ranks) || ranks.length !== d) {
    fail(
      ErrorCodes.RANK,
      `${what}: ${Array.isArray(ranks) ? ranks.length : 'no'} ranks given for a ${d}-mode tensor [${shape.join(', ')}]`,
      `give ${d} ring ranks [r0, ..., r${d - 1}] (the ring closes on r0), e.g. [${new Array(d).fill(2).join(', ')}]`,
      { expected: d },
    );
  }
  ranks.forEach((r, k) => {
    if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) {
      fail(ErrorCodes.RANK, `${what}: rank r${k} = ${String(r)} is not a positive integer`, 'ring ranks must be integers ≥ 1');
    }
  });
  if (opts.forSvd === false) return [...ranks];
  const m = validateStartMode(opts.startMode, d);
  const limit = firstSplitLimit(shape, m);
  const m1 = (m + 1) % d;
  const prod = ranks[m]! * ranks[m1]!;
  if (prod > limit) {
    const modes = shape.map((_, k) => k).filter((k) => ranks[k]! * ranks[(k + 1) % d]! <= firstSplitLimit(shape, k));
    const [a, b] = bestPair(ranks[m]!, ranks[m1]!, limit);
    fail(
      ErrorCodes.RANK,
      `${what} [${ranks.join(', ')}]: TR-SVD starting at mode ${m} splits the mode-${m} unfolding ` +
        `(${shape[m]} × ${sizeOf(shape) / shape[m]!}) into r${m}·r${m1} = ${ranks[m]}·${ranks[m1]} = ${prod}, ` +
        `more than the ${limit} it allows`,
      (modes.length ? `start at mode ${modes.join(' or ')} (option startMode), where r_k·r_(k+1) fits, or ` : 'no start mode fits these ranks; ') +
        `lower r${m} and r${m1} so that r${m}·r${m1} ≤ ${limit} (e.g. r${m} = ${a}, r${m1} = ${b})`,
      { startMode: m, limit, allowedStartModes: modes, suggestion: { [`r${m}`]: a, [`r${m1}`]: b } },
    );
  }
  // Clamp the later ranks to the unfoldings TR-SVD truncates (ring order from the start mode).
  const out = [...ranks];
  let rest = sizeOf(shape) / shape[m]!; // columns of the first unfolding (n_{m+1}…n_{m-1})
  for (let j = 1; j < d - 1; j++) {
    const k = (m + j) % d;
    const k1 = (k + 1) % d;
    rest /= shape[k]!;
    out[k1] = Math.min(out[k1]!, out[k]! * shape[k]!, rest * out[m]!);
  }
  return out;
}

/** Stored parameters of a tensor ring: Σ_k r_k · n_k · r_{k+1}. */
export function trParamCount(shape: readonly number[], ranks: readonly number[]): number {
  const r = validateTrRanks(shape, ranks, { forSvd: false, what: 'paramCount' });
  const d = shape.length;
  let p = 0;
  for (let k = 0; k < d; k++) p += r[k]! * shape[k]! * r[(k + 1) % d]!;
  return p;
}

/** The core shapes `[r_k, n_k, r_{k+1}]` of a ring. */
export function trCoreShapes(shape: readonly number[], ranks: readonly number[]): [number, number, number][] {
  const d = shape.length;
  return shape.map((n, k) => [ranks[k]!, n, ranks[(k + 1) % d]!]);
}

/**
 * Splits a rank R of the first unfolding into `[r_m, r_{m+1}]` with r_m·r_{m+1} = R and
 * |r_m − r_{m+1}| smallest (Zhao et al. 2016, Algorithm 1 step 4); the smaller goes to r_m.
 */
export function splitFirstRank(R: number): [number, number] {
  let a = Math.floor(Math.sqrt(R));
  while (a > 1 && R % a !== 0) a--;
  return [a, R / a];
}

/** Ring ranks for a maximum rank R: every rank ≤ R, clamped to what the tensor allows. */
export function maxRankTrRanks(shape: readonly number[], maxRank: number, startMode = 0): number[] {
  const d = shape.length;
  const m = validateStartMode(startMode, d);
  if (!Number.isInteger(maxRank) || maxRank < 1) fail(ErrorCodes.RANK, `maxRank ${maxRank} is not a positive integer`);
  const ranks = new Array<number>(d).fill(maxRank);
  const [a, b] = bestPair(maxRank, maxRank, firstSplitLimit(shape, m));
  ranks[m] = a;
  ranks[(m + 1) % d] = b;
  return validateTrRanks(shape, ranks, { startMode: m, what: `maxRank ${maxRank}` });
}

/**
 * The ring ranks with the most parameters whose compression ratio (entries / parameters) is at
 * least `ratio`: the largest uniform maximum rank that fits, then single ranks raised by one
 * (smallest rank first) while the budget allows. `TS_RANK` when even all-ones misses the ratio.
 */
export function ratioTrRanks(shape: readonly number[], ratio: number, startMode = 0): number[] {
  const d = shape.length;
  const m = validateStartMode(startMode, d);
  if (!(typeof ratio === 'number' && ratio > 0)) fail(ErrorCodes.RANK, `compression ratio ${ratio} must be a positive number`);
  const N = sizeOf(shape);
  const budget = N / ratio;
  const ones = new Array<number>(d).fill(1);
  const minParams = trParamCount(shape, ones);
  if (minParams > budget) {
    fail(
      ErrorCodes.RANK,
      `compression ratio ${ratio} is out of reach for shape [${shape.join(', ')}]: even ring ranks of 1 store ${minParams} parameters (ratio ${(N / minParams).toFixed(2)})`,
      `ask for a ratio ≤ ${(N / minParams).toFixed(2)}, or split the tensor into more modes`,
    );
  }
  // largest uniform cap that fits the budget
  let best = validateTrRanks(shape, ones, { startMode: m });
  const top = Math.max(...shape, 1) * Math.max(...shape, 1);
  for (let R = 2; R <= top; R++) {
    const r = maxRankTrRanks(shape, R, m);
    if (trParamCount(shape, r) > budget) break;
    if (r.every((x, i) => x === best[i])) break; // clamps reached: no higher rank is possible
    best = r;
  }
  // raise single ranks, smallest first, while the budget allows and TR-SVD can deliver them
  for (;;) {
    let pick = -1;
    let pickParams = Infinity;
    for (let k = 0; k < d; k++) {
      const cand = [...best];
      cand[k]!++;
      let ok: number[];
      try {
        ok = validateTrRanks(shape, cand, { startMode: m });
      } catch {
        continue;
      }
      if (ok[k] !== cand[k]) continue; // clamped: the data does not allow it
      const p = trParamCount(shape, ok);
      if (p > budget) continue;
      if (pick < 0 || best[k]! < best[pick]! || (best[k] === best[pick] && p < pickParams)) {
        pick = k;
        pickParams = p;
      }
    }
    if (pick < 0) break;
    best[pick]!++;
    best = validateTrRanks(shape, best, { startMode: m });
  }
  return best;
}

/**
 * Ring ranks for a non-data-dependent spec (`ranks`, `maxRank`, `ratio`), validated and clamped
 * for TR-SVD from `startMode`. `eps` needs the data (see trSvd); `auto` is not offered by TR.
 */
export function resolveStaticTrRanks(shape: readonly number[], spec: RankSpec, startMode = 0): number[] {
  const ev = evaluateRankFormulas(spec, { d: shape.length });
  const kind = rankSpecKind(ev);
  if (kind === 'ranks') return validateTrRanks(shape, (ev as { ranks: number[] }).ranks, { startMode });
  if (kind === 'maxRank') return maxRankTrRanks(shape, (ev as { maxRank: number }).maxRank, startMode);
  if (kind === 'ratio') return ratioTrRanks(shape, (ev as { ratio: number }).ratio, startMode);
  if (kind === 'eps') {
    return fail(ErrorCodes.RANK, 'TR ranks for an eps spec depend on the data', 'pass the tensor (resolveRanks(shape, spec, { tensor })) or run trSvd');
  }
  return fail(
    ErrorCodes.RANK,
    'the tensor-ring format has no automatic rank choice',
    'use {"eps": E} for the smallest ranks within a relative error E, or {"ratio": C}',
  );
}
