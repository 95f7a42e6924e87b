/**
 * Compression plans: which layers, which format, which modes, which ranks. A plan is JSON a user
 * can read, edit and save; {@link parsePlan} validates it and {@link resolveLayerTarget} binds
 * one entry to a concrete layer.
 *
 * @module
 */
import { z } from 'zod';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import { opt, parseOptions, publishedJsonSchema } from './options.js';
import type { RankSpec, RankValue } from './ranks.js';
import { evaluateRankSpec } from './ranks.js';
import type { FormatPlugin, ModeSplit } from './contracts.js';
import type { LayerKind, TensorLayout } from './tensorize.js';
import { layoutDims, layoutModes, suggestModes, validateLayout } from './tensorize.js';

/** One layer's entry in a plan (as written in JSON). */
export interface LayerPlan {
  /** Plugin id of the format ("tt", "tr", "tucker", or a user's own). */
  readonly format: string;
  /** Factors of the output channels; suggested automatically when omitted. */
  readonly outModes?: readonly number[];
  /** Factors of the input channels; suggested automatically when omitted. */
  readonly inModes?: readonly number[];
  /** The rank spec; a bare array is shorthand for `{ ranks: [...] }`. */
  readonly ranks: RankSpec | readonly RankValue[];
  /** Format-specific options (forward mode, decomposed modes, ALS sweeps, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A whole plan: layer name → entry. */
export interface CompressionPlan {
  /** Plan format version (1). */
  readonly version: 1;
  /** Entries keyed by the model's layer names. */
  readonly layers: Readonly<Record<string, LayerPlan>>;
}

/** A plan entry bound to one layer: everything a projector, decomposition or layer factory needs. */
export interface LayerTarget {
  /** The layer's name in the model. */
  readonly name: string;
  /** Plugin id. */
  readonly format: string;
  /** Kernel shape and mode split. */
  readonly layout: TensorLayout;
  /** Rank spec with formulas evaluated. */
  readonly ranks: RankSpec;
  /** Format-specific options. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Normalizes the `ranks` field of a layer entry into a {@link RankSpec}. */
export function normalizeRanks(r: LayerPlan['ranks']): RankSpec {
  return Array.isArray(r) ? { ranks: r as RankValue[] } : (r as RankSpec);
}

const rankValue = z.union([z.number(), z.string()]).meta({
  description: 'a rank: a positive integer, or a formula of the layer\'s dimensions cin, cout, kh, kw and d, e.g. "min(16, cin / 4)"',
});

const RANK_EXAMPLES = '[1, 8, 8, 1], {"ranks": [1, 8, 8, 1]}, {"maxRank": 16}, {"ratio": 5}, {"eps": 0.1}';

/** A rank spec object: exactly one of its five keys (see {@link RankSpec}). */
const rankSpecSchema = z.union([
  z.strictObject({ ranks: z.array(rankValue).describe("explicit ranks in the format's convention") }),
  z.strictObject({ maxRank: rankValue.describe('every internal rank capped at this value') }),
  z.strictObject({ ratio: z.number().describe('the largest ranks that reach at least this compression ratio') }),
  z.strictObject({ eps: z.number().describe('the smallest ranks with relative error ≤ eps') }),
  z.strictObject({ auto: z.union([z.string(), z.literal(true)]).describe("the format's automatic choice (true, or the name of a method)") }),
]) satisfies z.ZodType<RankSpec>;

const modes = z.array(z.number().int().min(1));

/** One layer's entry of a plan (see {@link LayerPlan}). */
const layerPlanSchema = z.object({
  format: opt(z.string().min(1), { description: 'plugin id of the format ("tt", "tr", "tucker", or a user\'s own)', allowed: 'a plugin id such as "tt"' }),
  outModes: modes.optional().describe('factors of the output channels; suggested when omitted'),
  inModes: modes.optional().describe('factors of the input channels; suggested when omitted'),
  ranks: opt(z.union([z.array(rankValue), rankSpecSchema]), {
    description: 'the rank spec; a bare list is short for {"ranks": [...]}',
    allowed: `a list of ranks, or an object with exactly one of ranks, maxRank, ratio, eps and auto — e.g. ${RANK_EXAMPLES}`,
    code: ErrorCodes.RANK,
  }),
  options: z.record(z.string(), z.unknown()).optional().describe('format-specific options (forward mode, decomposed modes, ALS sweeps, ...)'),
}) satisfies z.ZodType<LayerPlan>;

/**
 * The schema of a plan file: what {@link parsePlan} validates, and what the published JSON
 * Schema (docs/schema/plan.schema.json, {@link planJsonSchema}) is generated from.
 */
export const planSchema = z
  .object({
    version: z.literal(1).optional().describe('plan format version (1)'),
    layers: opt(z.record(z.string(), layerPlanSchema), {
      description: "entries keyed by the model's layer names",
      allowed: 'an object mapping layer names to entries, e.g. {"conv2": {"format": "tt", "ranks": {"maxRank": 8}}}',
    }),
  })
  .meta({
    title: 'tensorslim compression plan',
    description: 'Which layers of a model to compress, in which format, with which modes and ranks (docs/concepts.md).',
  });

/** Where the JSON Schema of plan files is published in the repository. */
export const PLAN_SCHEMA_PATH = 'docs/schema/plan.schema.json';

/** The JSON Schema of plan files (draft 2020-12), generated from {@link planSchema}. */
export function planJsonSchema(): Record<string, unknown> {
  return publishedJsonSchema(planSchema);
}

/** The text of the published schema file ({@link PLAN_SCHEMA_PATH}): {@link planJsonSchema} as pretty JSON. */
export function planSchemaFile(): string {
  return JSON.stringify(planJsonSchema(), null, 2) + '\n';
}

/** How plan problems name what is wrong: `layer "conv2": ranks`. */
function planPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the plan';
  if (path[0] !== 'layers' || path.length === 1) return path.map(String).join('.');
  const rest = path.slice(2).map(String).join('.');
  return `layer "${String(path[1])}"${rest ? `: ${rest}` : ''}`;
}

/** Parses and validates a plan (a JSON string or an already parsed object) against {@link planSchema}. */
export function parsePlan(input: string | unknown, source = 'plan'): CompressionPlan {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      fail(ErrorCodes.PLAN, `${source} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const plan = parseOptions(planSchema, obj, { code: ErrorCodes.PLAN, source, name: planPath, depth: 3 });
  const out: Record<string, LayerPlan> = {};
  for (const [name, e] of Object.entries(plan.layers)) {
    out[name] = {
      format: e.format,
      ranks: normalizeRanks(e.ranks),
      ...(e.outModes ? { outModes: e.outModes } : {}),
      ...(e.inModes ? { inModes: e.inModes } : {}),
      ...(e.options ? { options: e.options } : {}),
    };
  }
  return { version: 1, layers: out };
}

/**
 * Binds a plan entry to a layer of the given kind and kernel shape: fills in modes the entry
 * omits (the format's `preferred` split when given, else {@link suggestModes} on each side),
 * validates that they factor the channel counts, evaluates rank formulas.
 */
export function resolveLayerTarget(name: string, entry: LayerPlan, kind: LayerKind, kernelShape: readonly number[], preferred?: ModeSplit): LayerTarget {
  const probe: TensorLayout = { kind, kernelShape, outModes: [1], inModes: [1] };
  const want = kind === 'conv2d' ? 4 : 2;
  if (kernelShape.length !== want) fail(ErrorCodes.SHAPE, `${name}: a ${kind} kernel has ${want} dimensions, got [${kernelShape.join(', ')}]`);
  const { cin, cout, kh, kw } = layoutDims(probe);
  const layout: TensorLayout = {
    kind,
    kernelShape: [...kernelShape],
    outModes: [...(entry.outModes ?? preferred?.outModes ?? suggestModes(cout))],
    inModes: [...(entry.inModes ?? preferred?.inModes ?? suggestModes(cin))],
  };
  validateLayout(layout, name);
  const ranks = evaluateRankSpec(normalizeRanks(entry.ranks), { cin, cout, kh, kw, d: layoutModes(layout).length });
  return { name, format: entry.format, layout, ranks, options: { ...(entry.options ?? {}) } };
}

/** Serializes a plan as pretty JSON. */
export function planToJson(plan: CompressionPlan): string {
  return JSON.stringify(plan, null, 2) + '\n';
}

/** What {@link suggestPlan} needs to know about a layer. */
export interface PlannableLayer {
  /** Layer name. */
  readonly name: string;
  /** conv2d or dense. */
  readonly kind: LayerKind;
  /** TF.js kernel shape. */
  readonly kernelShape: readonly number[];
}

/** Options of {@link suggestPlan}. */
export interface SuggestPlanOptions {
  /** Smallest channel count (both sides) worth compressing (default 16). */
  readonly minChannels?: number;
  /** Skip 1×1 convolutions (default false; the paper's built-in CNN plans skip them). */
  readonly skipPointwise?: boolean;
  /** Skip the first conv layer and the last dense layer (default false; the paper's built-in CNN plans skip them). */
  readonly skipEnds?: boolean;
  /** Format options copied into every entry. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The format's plugin, whose {@link FormatPlugin.preferredModes} chooses the channel splits. */
  readonly plugin?: FormatPlugin;
}

/**
 * A plan for a model nobody wrote one for: every conv/dense layer big enough to matter (1×1
 * convolutions and the classifier included), with the format's preferred or suggested modes
 * and `{ ratio }` ranks, all in one format. `skipEnds` / `skipPointwise` leave the stem conv and
 * the classifier / the 1×1 convolutions dense, as the paper does for its CNNs.
 */
export function suggestPlan(layers: readonly PlannableLayer[], format: string, ratio: number, opts: SuggestPlanOptions = {}): CompressionPlan {
  if (!(ratio > 0)) fail(ErrorCodes.RANK, `compression ratio ${ratio} must be positive`);
  const minC = opts.minChannels ?? 16;
  const skipPw = opts.skipPointwise ?? false;
  const skipEnds = opts.skipEnds ?? false;
  const firstConv = layers.find((l) => l.kind === 'conv2d')?.name;
  const lastDense = [...layers].reverse().find((l) => l.kind === 'dense')?.name;
  const out: Record<string, LayerPlan> = {};
  for (const l of layers) {
    if (skipEnds && (l.name === firstConv || l.name === lastDense)) continue;
    const probe: TensorLayout = { kind: l.kind, kernelShape: l.kernelShape, outModes: [1], inModes: [1] };
    const { cin, cout, kh, kw } = layoutDims(probe);
    if (cin < minC || cout < minC) continue;
    if (skipPw && l.kind === 'conv2d' && kh * kw === 1) continue;
    const pref = opts.plugin?.preferredModes?.(l.kind, l.kernelShape);
    out[l.name] = {
      format,
      outModes: [...(pref?.outModes ?? suggestModes(cout))],
      inModes: [...(pref?.inModes ?? suggestModes(cin))],
      ranks: { ratio },
      ...(opts.options ? { options: { ...opts.options } } : {}),
    };
  }
  return { version: 1, layers: out };
}
