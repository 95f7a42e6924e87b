/**
 * From a rank spec to Tucker ranks: explicit, max rank, compression ratio, ε, and `auto` (EVBMF
 * on each decomposed mode's unfolding, as Kim et al. 2016 choose Tucker-2 ranks).
 *
 * @module
 */
import { ErrorCodes, evaluateRankSpec, fail, rankSpecKind, type RankSpec } from '@tensorslim/core';
import { sizeOf } from '@tensorslim/linalg';
import { evbmfFromSingularValues } from './evbmf.js';
import { coreShape, normalizeModes, validateTuckerRanks, type TuckerRanks } from './validate.js';

/** What a data-dependent spec (`eps`, `auto`) needs to know about the tensor. */
export interface SpectrumSource {
  /** ‖X‖²_F. */
  readonly norm2: number;
  /**
   * Squared singular values (descending) of the mode-`mode` unfolding; `floor` is the smallest
   * ratio to the largest one that the caller needs to be accurate.
   */
  spectrum(mode: number, floor: number): Float64Array;
}

/** Parameters of a Tucker decomposition: the core plus one n×r factor per decomposed mode. */
export function tuckerParamCount(shape: readonly number[], ranks: readonly number[], modes?: readonly number[]): number {
  const v = validateTuckerRanks(shape, ranks, modes);
  return sizeOf(coreShape(shape, v.ranks, v.modes)) + v.modes.reduce((s, m, i) => s + shape[m]! * v.ranks[i]!, 0);
}

/**
 * The largest ranks (proportional to the mode sizes, then raised one at a time) whose
 * parameter count still gives a compression ratio of at least `ratio`.
 */
function ratioRanks(shape: readonly number[], modes: number[], ratio: number): number[] {
  const total = sizeOf(shape);
  const caps = validateTuckerRanks(shape, modes.map((m) => shape[m]!), modes).ranks;
  const ok = (r: number[]) => total / tuckerParamCount(shape, r, modes) >= ratio;
  const at = (f: number) => modes.map((m, i) => Math.min(caps[i]!, Math.max(1, Math.floor(f * shape[m]!))));
  const ones = modes.map(() => 1);
  if (!ok(ones)) {
    const best = total / tuckerParamCount(shape, ones, modes);
    fail(
      ErrorCodes.RANK,
      `compression ratio ${ratio} is out of reach for shape [${shape.join(', ')}] decomposed on modes [${modes.join(', ')}]: even ranks of 1 give ${best.toFixed(3)}`,
      `ask for a ratio ≤ ${best.toFixed(3)}, or decompose more modes`,
    );
  }
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi);
    if (ok(at(mid))) lo = mid;
    else hi = mid;
  }
  const r = ok(at(hi)) ? at(hi) : at(lo);
  // raise single ranks while the ratio holds, the relatively smallest first
  for (let grew = true; grew; ) {
    grew = false;
    const order = modes.map((_, i) => i).sort((a, b) => r[a]! / shape[modes[a]!]! - r[b]! / shape[modes[b]!]! || a - b);
    for (const i of order) {
      if (r[i]! >= caps[i]!) continue;
      r[i]!++;
      if (ok(r)) {
        grew = true;
        break;
      }
      r[i]!--;
    }
  }
  return r;
}

/**
 * Resolves a rank spec to Tucker ranks (validated and clamped) for a tensor of `shape`
 * decomposed along `modes` (default all). `eps` and `auto` need `source`.
 *
 * - `ranks`: one per decomposed mode;
 * - `maxRank`: every decomposed mode gets min(maxRank, what the shape allows);
 * - `ratio`: the largest ranks with size/params ≥ ratio;
 * - `eps`: the smallest ranks whose truncated-HOSVD bound Σ_m Σ_{i>r_m} σ_i⁽ᵐ⁾² ≤ ε²‖X‖² holds
 *   (each mode gets ε²‖X‖²/|modes|), so that HOSVD — and HOOI, which only improves on it — meets
 *   ‖X − X̂‖ ≤ ε‖X‖;
 * - `auto` (`true` or `"evbmf"`): EVBMF on each mode's unfolding (at least 1).
 */
export function resolveTuckerSpec(
  shape: readonly number[],
  spec: RankSpec,
  modes?: readonly number[],
  source?: SpectrumSource,
): TuckerRanks {
  const ms = normalizeModes(shape, modes);
  const s = evaluateRankSpec(spec, { d: shape.length });
  const kind = rankSpecKind(s);
  const needData = () => {
    if (!source) {
      fail(ErrorCodes.RANK, `a rank spec of kind "${kind}" depends on the data`, 'pass the tensor (resolveRanks(shape, spec, { tensor }))');
    }
    return source;
  };
  switch (kind) {
    case 'ranks':
      return validateTuckerRanks(shape, (s as { ranks: number[] }).ranks, ms);
    case 'maxRank': {
      const R = (s as { maxRank: number }).maxRank;
      return validateTuckerRanks(shape, ms.map(() => R), ms);
    }
    case 'ratio':
      return validateTuckerRanks(shape, ratioRanks(shape, ms, (s as { ratio: number }).ratio), ms);
    case 'eps': {
      const eps = (s as { eps: number }).eps;
      const src = needData();
      const budget = (eps * eps * src.norm2) / ms.length;
      const ranks = ms.map((m) => {
        const lam = src.spectrum(m, (0.01 * eps * eps) / ms.length);
        let tail = 0;
        let r = lam.length;
        // smallest r with Σ_{i ≥ r} λ_i ≤ budget, summing the small ones first
        while (r > 1 && tail + lam[r - 1]! <= budget) tail += lam[--r]!;
        return Math.max(1, r);
      });
      return validateTuckerRanks(shape, ranks, ms);
    }
    case 'auto': {
      const how = (s as { auto: string | true }).auto;
      if (how !== true && how !== 'evbmf') {
        fail(ErrorCodes.RANK, `unknown automatic rank method "${String(how)}" for Tucker`, 'use {"auto": true} or {"auto": "evbmf"}');
      }
      const src = needData();
      const total = sizeOf(shape);
      const ranks = ms.map((m) => {
        const lam = src.spectrum(m, 1e-10);
        const rows = shape[m]!;
        const cols = total / rows;
        const sv = Float64Array.from(lam.subarray(0, Math.min(rows, cols)), (v) => Math.sqrt(Math.max(0, v)));
        return Math.max(1, evbmfFromSingularValues(sv, rows, cols).rank);
      });
      return validateTuckerRanks(shape, ranks, ms);
    }
  }
}
