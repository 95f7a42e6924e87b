/**
 * Tucker ranks: the one rank check of the format (TensorLy's `validate_tucker_rank` idea) that
 * every entry point — decompose, HOSVD, HOOI, reconstruct, parameter counts, rank resolution,
 * the projector and the layers — calls ({@link validateTuckerRanks}); the decomposed modes; and
 * how a rank spec resolves: explicit, max rank, compression ratio, ε, and `auto` (EVBMF on each
 * decomposed mode's unfolding, as Kim et al. 2016 choose Tucker-2 ranks).
 *
 * @module
 */
import {
  ErrorCodes,
  evaluateRankFormulas,
  fail,
  layoutModes,
  rankSpecKind,
  spatialMode,
  type DecomposeOptions,
  type RankSpec,
  type RankStep,
  type TensorLayout,
} from '@tensorslim/core';
import { sizeOf } from '@tensorslim/linalg';
import { evbmfFromSingularValues } from '@tensorslim/spectra';

/** Checked ranks and modes of a (partial) Tucker decomposition. */
export interface TuckerRanks {
  /** The decomposed modes, in the order given (factor i of the factors belongs to modes[i]). */
  readonly modes: number[];
  /** One rank per decomposed mode, clamped to what the shape allows. */
  readonly ranks: number[];
  /** Whether any rank was lowered by the clamp. */
  readonly clamped: boolean;
}

/** The rank convention, shown in help texts and errors. */
export const TUCKER_RANK_CONVENTION =
  'Tucker: one rank per decomposed mode (all modes by default, or the modes given with --modes / options.modes), each ≤ its mode size';

function checkShape(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    fail(
      ErrorCodes.SHAPE,
      `Tucker needs a tensor with at least one mode and positive integer sizes, got shape [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`,
    );
  }
}

/**
 * Checks a list of decomposed modes against a shape and returns it (all modes when
 * `modes` is undefined). Out-of-range modes are `TS_SHAPE`; duplicates, non-integers or an
 * empty list are `TS_OPTION`.
 */
export function normalizeModes(shape: readonly number[], modes?: readonly number[]): number[] {
  checkShape(shape);
  const d = shape.length;
  if (modes === undefined || modes === null) return shape.map((_, i) => i);
  if (!Array.isArray(modes) || modes.length === 0) {
    fail(ErrorCodes.OPTION, `modes must be a non-empty list of mode indices, got ${JSON.stringify(modes)}`, `use indices 0..${d - 1}, e.g. [0, 1]`);
  }
  for (const m of modes) {
    if (!Number.isInteger(m)) fail(ErrorCodes.OPTION, `mode ${JSON.stringify(m)} in modes [${modes.join(', ')}] is not an integer`);
    if (m < 0 || m >= d) {
      fail(
        ErrorCodes.SHAPE,
        `mode ${m} in modes [${modes.join(', ')}] does not exist in a ${d}-mode tensor of shape [${shape.join(', ')}]`,
        `use indices 0..${d - 1}`,
      );
    }
  }
  if (new Set(modes).size !== modes.length) fail(ErrorCodes.OPTION, `modes [${modes.join(', ')}] lists a mode twice`);
  return [...modes];
}

/**
 * Validates Tucker ranks for a tensor of `shape` decomposed along `modes` (default: all):
 * one positive integer rank per decomposed mode, else `TS_RANK`. Ranks larger than the data
 * allows are clamped — to the mode size, and to the product of the other modes' (ranked) sizes,
 * beyond which the core's unfolding cannot have full rank — and `clamped` says so.
 */
export function validateTuckerRanks(shape: readonly number[], ranks: readonly number[], modes?: readonly number[]): TuckerRanks {
  const ms = normalizeModes(shape, modes);
  if (!Array.isArray(ranks) || ranks.length !== ms.length) {
    fail(
      ErrorCodes.RANK,
      `Tucker needs one rank per decomposed mode: modes [${ms.join(', ')}] of shape [${shape.join(', ')}] need ${ms.length} rank${ms.length === 1 ? '' : 's'}, got ${Array.isArray(ranks) ? `${ranks.length} ([${ranks.join(', ')}])` : JSON.stringify(ranks)}`,
      `give ${ms.length} ranks, e.g. [${ms.map((m) => Math.max(1, Math.ceil(shape[m]! / 2))).join(', ')}], or choose the modes (--modes / options.modes); for Tucker-2 of a layer (2 ranks) give its plan entry outModes [Cout] and inModes [Cin]`,
    );
  }
  ranks.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 1) {
      fail(ErrorCodes.RANK, `Tucker rank ${JSON.stringify(r)} for mode ${ms[i]} is not a positive integer`, 'ranks must be integers ≥ 1');
    }
  });
  // sizes of the core: ranks on decomposed modes, full sizes elsewhere; clamp to a fixed point
  const size = [...shape];
  const out = ranks.map((r, i) => Math.min(r, shape[ms[i]!]!));
  ms.forEach((m, i) => (size[m] = out[i]!));
  for (let changed = true; changed;) {
    changed = false;
    ms.forEach((m, i) => {
      let others = 1;
      for (let k = 0; k < size.length; k++) if (k !== m) others *= size[k]!;
      if (out[i]! > others) {
        out[i] = others;
        size[m] = others;
        changed = true;
      }
    });
  }
  return { modes: ms, ranks: out, clamped: out.some((r, i) => r !== ranks[i]) };
}

/** Shape of the Tucker core: ranks on the decomposed modes, the full sizes elsewhere. */
export function coreShape(shape: readonly number[], ranks: readonly number[], modes: readonly number[]): number[] {
  const s = [...shape];
  modes.forEach((m, i) => (s[m] = ranks[i]!));
  return s;
}

/** The decomposed modes a layer layout uses by default: every channel mode, the kh·kw mode kept whole. */
export function defaultChannelModes(layout: TensorLayout): number[] {
  const s = spatialMode(layout);
  return layoutModes(layout)
    .map((_, i) => i)
    .filter((i) => i !== s);
}

/**
 * The decomposed modes for a tensor of `shape` from decomposition options: `modes` when given;
 * else, when a layer `layout` is given (model surgery passes one), its channel modes (Tucker-2
 * for a convolution with outModes [Cout], inModes [Cin]); else undefined (all modes).
 */
export function modesFromOptions(shape: readonly number[], opts: { readonly modes?: readonly number[]; readonly layout?: unknown } = {}): number[] | undefined {
  if (opts.modes !== undefined) return normalizeModes(shape, opts.modes);
  const layout = opts.layout as TensorLayout | undefined;
  if (layout === undefined || layout === null) return undefined;
  if (typeof layout !== 'object' || !Array.isArray(layout.outModes) || !Array.isArray(layout.inModes) || !Array.isArray(layout.kernelShape)) {
    fail(ErrorCodes.OPTION, `options.layout is not a tensor layout {kind, kernelShape, outModes, inModes}: ${JSON.stringify(layout)}`);
  }
  const want = layoutModes(layout);
  if (want.length !== shape.length || want.some((n, i) => n !== shape[i])) {
    fail(ErrorCodes.SHAPE, `the layout gives a tensor of shape [${want.join(', ')}], the tensor has [${shape.join(', ')}]`);
  }
  return defaultChannelModes(layout);
}

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
 * Whether decomposing `modes` of `shape` is a two-factor low-rank form of a matrix: two decomposed
 * modes, every other mode of size 1 (a dense kernel or a 1×1 convolution with outModes [Cout] and
 * inModes [Cin]). Tucker-2 with ranks (r, r) of a matrix is its truncated SVD at rank r.
 */
export function isMatrix(shape: readonly number[], modes: readonly number[]): boolean {
  return modes.length === 2 && shape.every((n, i) => modes.includes(i) || n === 1);
}

/**
 * The largest ranks (for a matrix, equal ranks; otherwise proportional to the mode sizes, then raised one at a time) whose
 * parameter count still gives a compression ratio of at least `ratio`.
 */
function ratioRanks(shape: readonly number[], modes: number[], ratio: number): number[] {
  const total = sizeOf(shape);
  const caps = validateTuckerRanks(
    shape,
    modes.map((m) => shape[m]!),
    modes,
  ).ranks;
  const ok = (r: number[]) => total / tuckerParamCount(shape, r, modes) >= ratio;
  const at = (f: number) => modes.map((m, i) => Math.min(caps[i]!, Math.max(1, Math.floor(f * shape[m]!))));
  const ones = modes.map(() => 1);
  if (isMatrix(shape, modes) && ok(ones)) {
    // a matrix: equal ranks (r, r) are the truncated SVD at rank r; unequal ones waste parameters
    let r = 1;
    while (r < Math.min(caps[0]!, caps[1]!) && ok([r + 1, r + 1])) r++;
    return [r, r];
  }
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
  for (let grew = true; grew;) {
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
export function resolveTuckerSpec(shape: readonly number[], spec: RankSpec, modes?: readonly number[], source?: SpectrumSource): TuckerRanks {
  const ms = normalizeModes(shape, modes);
  const s = evaluateRankFormulas(spec, { d: shape.length });
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
      return validateTuckerRanks(
        shape,
        ms.map(() => R),
        ms,
      );
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

/*
 * Tucker's rank ladder for whole-model budgets (core's `Decomposition.rankLadder`): the rank
 * choices of a layer's tensorized kernel from the largest to rank 1, each with the squared error
 * of its truncated HOSVD read off the unfoldings' spectra. For a matrix (Tucker-2 on (out, in),
 * see isMatrix) the ranks are (r, r) and the error is exactly the truncated SVD's Σ_{i>r} σ_i²;
 * otherwise all decomposed modes shrink in proportion to their sizes and the error is the HOSVD
 * bound Σ_m Σ_{i>r_m} σ_i⁽ᵐ⁾² (HOOI only improves on it).
 */

/** Σ_{i ≥ r} λ_i of a descending spectrum of squared singular values. */
function tail(lam: Float64Array, r: number): number {
  let t = 0;
  for (let i = lam.length - 1; i >= r; i--) t += lam[i]!;
  return t;
}

/**
 * The rank ladder of a tensor from its spectra (`source`), decomposed along `modes` (default
 * all, or the layout's channel modes when `opts.layout` is given).
 */
export function tuckerRankLadder(
  shape: readonly number[],
  source: SpectrumSource,
  opts: DecomposeOptions & { readonly layout?: TensorLayout } = {},
): RankStep[] {
  const modes = modesFromOptions(shape, opts) ?? normalizeModes(shape);
  const caps = validateTuckerRanks(
    shape,
    modes.map((m) => shape[m]!),
    modes,
  ).ranks;
  const spectra = modes.map((m) => source.spectrum(m, 1e-8));
  const err2 = (ranks: number[]) => ranks.reduce((s, r, i) => s + tail(spectra[i]!, r), 0);
  const steps: RankStep[] = [];
  if (isMatrix(shape, modes)) {
    for (let r = Math.min(caps[0]!, caps[1]!); r >= 1; r--) steps.push({ ranks: [r, r], err2: tail(spectra[0]!, r) });
    return steps;
  }
  const top = Math.max(...caps);
  let last = '';
  for (let k = top; k >= 1; k--) {
    const ranks = caps.map((c) => Math.max(1, Math.min(c, Math.round((k / top) * c))));
    const key = ranks.join(',');
    if (key === last) continue;
    last = key;
    steps.push({ ranks, err2: err2(ranks) });
  }
  return steps;
}
