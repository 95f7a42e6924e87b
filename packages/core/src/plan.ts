/**
 * Compression plans: which layers, which format, which modes, which ranks. A plan is JSON a user
 * can read, edit and save; {@link parsePlan} validates it and {@link resolveLayerTarget} binds
 * one entry to a concrete layer.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/linalg';
import type { RankSpec, RankValue } from './ranks.js';
import { evaluateRankSpec, rankSpecKind } from './ranks.js';
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

/** Parses and validates a plan (a JSON string or an already parsed object). */
export function parsePlan(input: string | unknown, source = 'plan'): CompressionPlan {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      fail(ErrorCodes.PLAN, `${source} is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (obj === null || typeof obj !== 'object') fail(ErrorCodes.PLAN, `${source} must be a JSON object`);
  const o = obj as Record<string, unknown>;
  if (o.version !== undefined && o.version !== 1) fail(ErrorCodes.PLAN, `${source}: unsupported plan version ${String(o.version)}`, 'this release reads version 1');
  const layers = o.layers;
  if (layers === null || typeof layers !== 'object' || Array.isArray(layers)) {
    fail(ErrorCodes.PLAN, `${source} needs a "layers" object mapping layer names to entries`, 'e.g. {"version":1,"layers":{"conv2":{"format":"tt","ranks":{"maxRank":8}}}}');
  }
  const out: Record<string, LayerPlan> = {};
  for (const [name, entry] of Object.entries(layers as Record<string, unknown>)) {
    if (entry === null || typeof entry !== 'object') fail(ErrorCodes.PLAN, `${source}: layer "${name}" must map to an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.format !== 'string' || e.format.length === 0) fail(ErrorCodes.PLAN, `${source}: layer "${name}" needs a "format" (a plugin id such as "tt")`);
    if (e.ranks === undefined) fail(ErrorCodes.PLAN, `${source}: layer "${name}" needs "ranks"`, 'e.g. "ranks": {"maxRank": 8} or "ranks": [1, 8, 8, 1]');
    for (const k of ['outModes', 'inModes'] as const) {
      const m = e[k];
      if (m !== undefined && (!Array.isArray(m) || m.some((x) => !Number.isInteger(x) || (x as number) < 1))) {
        fail(ErrorCodes.PLAN, `${source}: layer "${name}": ${k} must be a list of positive integers`);
      }
    }
    if (e.options !== undefined && (e.options === null || typeof e.options !== 'object')) {
      fail(ErrorCodes.PLAN, `${source}: layer "${name}": options must be an object`);
    }
    rankSpecKind(normalizeRanks(e.ranks as LayerPlan['ranks']));
    out[name] = {
      format: e.format,
      ranks: normalizeRanks(e.ranks as LayerPlan['ranks']),
      ...(e.outModes ? { outModes: e.outModes as number[] } : {}),
      ...(e.inModes ? { inModes: e.inModes as number[] } : {}),
      ...(e.options ? { options: e.options as Record<string, unknown> } : {}),
    };
  }
  return { version: 1, layers: out };
}

/**
 * Binds a plan entry to a layer of the given kind and kernel shape: fills in suggested modes,
 * validates that they factor the channel counts, evaluates rank formulas.
 */
export function resolveLayerTarget(
  name: string,
  entry: LayerPlan,
  kind: LayerKind,
  kernelShape: readonly number[],
): LayerTarget {
  const probe: TensorLayout = { kind, kernelShape, outModes: [1], inModes: [1] };
  const want = kind === 'conv2d' ? 4 : 2;
  if (kernelShape.length !== want) fail(ErrorCodes.SHAPE, `${name}: a ${kind} kernel has ${want} dimensions, got [${kernelShape.join(', ')}]`);
  const { cin, cout, kh, kw } = layoutDims(probe);
  const layout: TensorLayout = {
    kind,
    kernelShape: [...kernelShape],
    outModes: entry.outModes ? [...entry.outModes] : suggestModes(cout),
    inModes: entry.inModes ? [...entry.inModes] : suggestModes(cin),
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
  /** Skip 1×1 convolutions (default true, as the paper does). */
  readonly skipPointwise?: boolean;
  /** Skip the first conv layer and the last dense layer (default true). */
  readonly skipEnds?: boolean;
  /** Format options copied into every entry. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * A plan for a model nobody wrote one for: every conv/dense layer big enough to matter, with
 * suggested modes and `{ ratio }` ranks, all in one format. The stem conv, the classifier and
 * 1×1 convolutions are left dense by default, as the paper does.
 */
export function suggestPlan(
  layers: readonly PlannableLayer[],
  format: string,
  ratio: number,
  opts: SuggestPlanOptions = {},
): CompressionPlan {
  if (!(ratio > 0)) fail(ErrorCodes.RANK, `compression ratio ${ratio} must be positive`);
  const minC = opts.minChannels ?? 16;
  const skipPw = opts.skipPointwise ?? true;
  const skipEnds = opts.skipEnds ?? true;
  const firstConv = layers.find((l) => l.kind === 'conv2d')?.name;
  const lastDense = [...layers].reverse().find((l) => l.kind === 'dense')?.name;
  const out: Record<string, LayerPlan> = {};
  for (const l of layers) {
    if (skipEnds && (l.name === firstConv || l.name === lastDense)) continue;
    const probe: TensorLayout = { kind: l.kind, kernelShape: l.kernelShape, outModes: [1], inModes: [1] };
    const { cin, cout, kh, kw } = layoutDims(probe);
    if (cin < minC || cout < minC) continue;
    if (skipPw && l.kind === 'conv2d' && kh * kw === 1) continue;
    out[l.name] = {
      format,
      outModes: suggestModes(cout),
      inModes: suggestModes(cin),
      ranks: { ratio },
      ...(opts.options ? { options: { ...opts.options } } : {}),
    };
  }
  return { version: 1, layers: out };
}
