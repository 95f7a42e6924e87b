/**
 * Rank specifications: explicit ranks, a maximum rank, a target compression ratio, an error
 * tolerance ε, or a format's automatic choice. A rank may be a formula of the layer's
 * dimensions ("min(16, cin / 4)"), evaluated by mathjs's expression parser in a closed scope.
 *
 * @module
 */
import { create, all } from 'mathjs';
import { ErrorCodes, fail } from '@tensorslim/linalg';

/** A rank: a positive integer, or a formula string evaluated against {@link RankScope}. */
export type RankValue = number | string;

/**
 * How ranks are chosen. Exactly one key:
 * - `ranks`: explicit, in the format's convention (TT: d+1 with r0 = rd = 1; TR: d; Tucker: one per mode);
 * - `maxRank`: every internal rank capped at this value;
 * - `ratio`: the largest ranks whose parameter count gives at least this compression ratio;
 * - `eps`: the smallest ranks with ‖A − Â‖_F ≤ ε‖A‖_F (data-dependent);
 * - `auto`: the format's own data-driven choice (e.g. EVBMF for Tucker).
 */
export type RankSpec =
  | { readonly ranks: readonly RankValue[] }
  | { readonly maxRank: RankValue }
  | { readonly ratio: number }
  | { readonly eps: number }
  | { readonly auto: string | true };

/** The kind of a {@link RankSpec}. */
export type RankSpecKind = 'ranks' | 'maxRank' | 'ratio' | 'eps' | 'auto';

/** Names a formula may use: the layer's dimensions. Unknown names are an error. */
export interface RankScope {
  /** Input channels (conv) or input features (dense). */
  cin?: number;
  /** Output channels or output features. */
  cout?: number;
  /** Kernel height (1 for dense). */
  kh?: number;
  /** Kernel width (1 for dense). */
  kw?: number;
  /** Number of modes of the tensorized weight. */
  d?: number;
}

const KINDS: RankSpecKind[] = ['ranks', 'maxRank', 'ratio', 'eps', 'auto'];

/** Which kind a spec is; throws `TS_RANK` if it has none or several of the keys. */
export function rankSpecKind(spec: RankSpec): RankSpecKind {
  const keys = KINDS.filter((k) => spec !== null && typeof spec === 'object' && k in spec);
  if (keys.length !== 1) {
    fail(
      ErrorCodes.RANK,
      `a rank spec needs exactly one of ${KINDS.join(', ')}; got ${JSON.stringify(spec)}`,
      'e.g. {"ranks":[1,8,8,1]}, {"maxRank":16}, {"ratio":5}, {"eps":0.1}',
    );
  }
  return keys[0]!;
}

const math = create(all, {});
const evaluateExpr = math.evaluate.bind(math);
// Close the parser: no imports, no unit creation, no nested parsing or symbolic tricks.
const blocked = ['import', 'createUnit', 'evaluate', 'parse', 'simplify', 'derivative', 'resolve', 'reviver', 'compile'];
math.import(
  Object.fromEntries(
    blocked.map((name) => [
      name,
      () => {
        throw new Error(`function ${name} is disabled in rank formulas`);
      },
    ]),
  ),
  { override: true },
);

/** Evaluates one rank value: numbers pass through, strings are formulas over `scope`. */
export function evaluateRank(value: RankValue, scope: RankScope = {}): number {
  let v: unknown = value;
  if (typeof value === 'string') {
    if (value.length > 200) fail(ErrorCodes.FORMULA, `rank formula is too long (${value.length} characters)`);
    const vars: Record<string, number> = {};
    for (const [k, x] of Object.entries(scope)) if (typeof x === 'number') vars[k] = x;
    try {
      v = evaluateExpr(value, vars);
    } catch (e) {
      fail(
        ErrorCodes.FORMULA,
        `cannot evaluate rank formula "${value}": ${(e as Error).message}`,
        `formulas may use numbers, + - * / ^, min, max, floor, ceil, round and the names ${Object.keys(vars).join(', ') || '(none in this context)'}`,
      );
    }
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    fail(ErrorCodes.RANK, `rank ${JSON.stringify(value)} does not evaluate to a finite number`);
  }
  const r = Math.floor(v + 1e-9);
  if (r < 1) fail(ErrorCodes.RANK, `rank ${JSON.stringify(value)} evaluates to ${v}, not a positive integer`, 'ranks must be ≥ 1');
  return r;
}

/** Evaluates formulas inside a spec, returning a spec whose rank values are all numbers. */
export function evaluateRankSpec(spec: RankSpec, scope: RankScope = {}): RankSpec {
  return evaluateSpec(spec, (r) => evaluateRank(r, scope));
}

/**
 * Evaluates the formulas (strings) of a spec's `ranks` or `maxRank` and leaves numbers as they
 * are, for the format's own rank check to judge (unlike {@link evaluateRankSpec}, which floors
 * 2.5 to 2); checks `ratio` and `eps` as {@link evaluateRankSpec} does. A format that validates
 * explicit ranks calls this, then its validation helper.
 */
export function evaluateRankFormulas(spec: RankSpec, scope: RankScope = {}): RankSpec {
  return evaluateSpec(spec, (r) => (typeof r === 'string' ? evaluateRank(r, scope) : r));
}

function evaluateSpec(spec: RankSpec, ev: (r: RankValue) => RankValue): RankSpec {
  const kind = rankSpecKind(spec);
  if (kind === 'ranks') return { ranks: (spec as { ranks: RankValue[] }).ranks.map(ev) };
  if (kind === 'maxRank') return { maxRank: ev((spec as { maxRank: RankValue }).maxRank) };
  if (kind === 'ratio') {
    const c = (spec as { ratio: number }).ratio;
    if (typeof c !== 'number' || !(c > 0)) fail(ErrorCodes.RANK, `compression ratio ${c} must be a positive number`);
  }
  if (kind === 'eps') {
    const e = (spec as { eps: number }).eps;
    if (typeof e !== 'number' || !(e >= 0)) fail(ErrorCodes.RANK, `error tolerance eps ${e} must be a number ≥ 0`);
  }
  return spec;
}

/** Numeric explicit ranks of a spec that has been through {@link evaluateRankSpec}. */
export function explicitRanks(spec: RankSpec): number[] {
  return (spec as { ranks: RankValue[] }).ranks.map((r) => evaluateRank(r));
}

/**
 * Parses the rank flags of the command line into a spec (exactly one must be given).
 */
export function rankSpecFromFlags(flags: {
  ranks?: string;
  maxRank?: string | number;
  ratio?: string | number;
  eps?: string | number;
  auto?: boolean | string;
}): RankSpec {
  const given = (['ranks', 'maxRank', 'ratio', 'eps', 'auto'] as const).filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (given.length !== 1) {
    fail(
      ErrorCodes.RANK,
      given.length === 0 ? 'no rank given' : `several rank options given (${given.join(', ')})`,
      'pass exactly one of --ranks r0,r1,..., --max-rank R, --ratio C, --eps E' + ' (or --auto where the format has one)',
    );
  }
  const k = given[0]!;
  if (k === 'ranks') {
    const parts = String(flags.ranks)
      .split(',')
      .map((s) => s.trim());
    const ranks = parts.map((p) => {
      const n = Number(p);
      if (!Number.isInteger(n) || n < 1) fail(ErrorCodes.RANK, `rank "${p}" in --ranks ${flags.ranks} is not a positive integer`);
      return n;
    });
    return { ranks };
  }
  if (k === 'auto') return { auto: flags.auto === true ? true : String(flags.auto) };
  const v = Number(flags[k]);
  if (!Number.isFinite(v)) fail(ErrorCodes.RANK, `--${k === 'maxRank' ? 'max-rank' : k} ${flags[k]} is not a number`);
  if (k === 'maxRank') {
    if (!Number.isInteger(v) || v < 1) fail(ErrorCodes.RANK, `--max-rank ${flags.maxRank} must be a positive integer`);
    return { maxRank: v };
  }
  if (k === 'ratio') {
    if (!(v > 0)) fail(ErrorCodes.RANK, `--ratio ${flags.ratio} must be positive`);
    return { ratio: v };
  }
  if (!(v >= 0)) fail(ErrorCodes.RANK, `--eps ${flags.eps} must be ≥ 0`);
  return { eps: v };
}
