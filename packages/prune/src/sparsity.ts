/**
 * Magnitude pruning as projectors: the nearest tensor (in Frobenius norm) with at most a given
 * fraction of nonzero groups. A group is one weight (unstructured), one filter (an output
 * channel: the kernel's last axis in TF.js layout, `[kh, kw, Cin, Cout]` or `[In, Out]`) or one
 * channel (an input channel: the second-to-last axis). Keeping the groups of largest L2 norm and
 * zeroing the rest is the exact Euclidean projection onto that set (ties broken by index).
 *
 * @module
 */
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';
import { registerProjector, type LayerTarget, type PluginRegistry, type Projector } from '@tensorslim/core';

/** What one group is: one weight, one filter (output channel) or one channel (input channel). */
export type Granularity = 'weight' | 'filter' | 'channel';

/** The granularities, in the order help texts list them. */
export const GRANULARITIES: readonly Granularity[] = ['weight', 'filter', 'channel'];

/** Settings of a magnitude projector. */
export interface MagnitudeOptions {
  /** Fraction of groups set to zero, 0 ≤ sparsity < 1 (structured: at least one group is kept). */
  readonly sparsity: number;
  /** What a group is (default `'weight'`). */
  readonly granularity?: Granularity;
}

/** Each element's group id and the number of groups, for a kernel of `shape`. */
export interface Grouping {
  /** Group id of every element (row-major over `shape`). */
  readonly group: Int32Array;
  /** Number of groups. */
  readonly count: number;
}

/** Throws `TS_OPTION` unless `g` is a granularity. */
export function checkGranularity(g: unknown): asserts g is Granularity {
  if (!GRANULARITIES.includes(g as Granularity)) {
    fail(ErrorCodes.OPTION, `granularity "${String(g)}" is not known`, `use one of ${GRANULARITIES.join(', ')}`);
  }
}

/** Throws `TS_OPTION` unless 0 ≤ `s` < 1. */
export function checkSparsity(s: unknown): asserts s is number {
  if (typeof s !== 'number' || !(s >= 0 && s < 1)) {
    fail(ErrorCodes.OPTION, `sparsity ${String(s)} must be a number with 0 ≤ sparsity < 1`, 'e.g. 0.9 zeroes 90% of the groups');
  }
}

/**
 * The groups of a kernel of `shape`: filters index the last axis, channels the second-to-last.
 * Structured granularities need a kernel of at least two dimensions (`TS_SHAPE` otherwise).
 */
export function grouping(shape: readonly number[], granularity: Granularity): Grouping {
  checkGranularity(granularity);
  const n = shape.reduce((a, b) => a * b, 1);
  const group = new Int32Array(n);
  if (granularity === 'weight') {
    for (let i = 0; i < n; i++) group[i] = i;
    return { group, count: n };
  }
  if (shape.length < 2) {
    fail(
      ErrorCodes.SHAPE,
      `${granularity} pruning needs a kernel of at least 2 dimensions, got shape [${shape.join(', ')}]`,
      'prune a conv or dense kernel, or use granularity "weight"',
    );
  }
  const cout = shape[shape.length - 1]!;
  const cin = shape[shape.length - 2]!;
  for (let i = 0; i < n; i++) group[i] = granularity === 'filter' ? i % cout : Math.floor(i / cout) % cin;
  return { group, count: granularity === 'filter' ? cout : cin };
}

/** The squared L2 norm of every group of `weight`. */
export function groupNorms2(weight: DenseTensor, granularity: Granularity): Float64Array {
  const { group, count } = grouping(weight.shape, granularity);
  const out = new Float64Array(count);
  const d = weight.data;
  for (let i = 0; i < d.length; i++) out[group[i]!]! += d[i]! * d[i]!;
  return out;
}

/** How many of `count` groups a sparsity removes: round(sparsity·count), structured keeps at least one. */
export function prunedCount(count: number, sparsity: number, granularity: Granularity): number {
  checkSparsity(sparsity);
  const k = Math.round(sparsity * count);
  return granularity === 'weight' ? k : Math.min(k, count - 1);
}

/**
 * Which groups are kept (1) or removed (0): the `prunedCount` groups of smallest norm go, ties
 * broken by the lower index going first. Non-finite weights are `TS_NON_FINITE`.
 */
export function keptGroups(weight: DenseTensor, sparsity: number, granularity: Granularity): Uint8Array {
  const norms = groupNorms2(weight, granularity);
  if (!norms.every(Number.isFinite)) fail(ErrorCodes.NON_FINITE, 'magnitude pruning met a non-finite weight', 'check the training run for divergence');
  const k = prunedCount(norms.length, sparsity, granularity);
  const order = Array.from(norms.keys()).sort((a, b) => norms[a]! - norms[b]! || a - b);
  const keep = new Uint8Array(norms.length).fill(1);
  for (let j = 0; j < k; j++) keep[order[j]!] = 0;
  return keep;
}

/** The element mask (1 kept, 0 removed) of a magnitude projection, in the weight's shape. */
export function magnitudeMask(weight: DenseTensor, sparsity: number, granularity: Granularity = 'weight'): DenseTensor {
  const keep = keptGroups(weight, sparsity, granularity);
  const { group } = grouping(weight.shape, granularity);
  const data = new Float64Array(weight.data.length);
  for (let i = 0; i < data.length; i++) data[i] = keep[group[i]!]!;
  return { shape: [...weight.shape], data };
}

/** `weight` ⊙ `mask` (same shapes, `TS_SHAPE` otherwise). */
export function applyMask(weight: DenseTensor, mask: DenseTensor): DenseTensor {
  if (mask.data.length !== weight.data.length) {
    fail(ErrorCodes.SHAPE, `a mask of ${mask.data.length} values does not fit a weight of shape [${weight.shape.join(', ')}]`);
  }
  const data = new Float64Array(weight.data.length);
  for (let i = 0; i < data.length; i++) data[i] = weight.data[i]! * mask.data[i]!;
  return { shape: [...weight.shape], data };
}

/** Fraction of exact zeros in a tensor. */
export function sparsityOf(t: DenseTensor): number {
  let z = 0;
  for (const v of t.data) if (v === 0) z++;
  return t.data.length ? z / t.data.length : 0;
}

/** The magnitude projection of `weight` at this sparsity and granularity (a new tensor). */
export function magnitudeProject(weight: DenseTensor, sparsity: number, granularity: Granularity = 'weight'): DenseTensor {
  return applyMask(weight, magnitudeMask(weight, sparsity, granularity));
}

/**
 * A projector onto the tensors with at most `sparsity` of their groups nonzero (fixed settings;
 * the target's options are not read). Its id is `magnitude-<granularity>`.
 */
export function magnitudeProjector(opts: MagnitudeOptions): Projector {
  const granularity = opts.granularity ?? 'weight';
  checkSparsity(opts.sparsity);
  checkGranularity(granularity);
  return {
    id: `magnitude-${granularity}`,
    project: (weight: DenseTensor) => magnitudeProject(weight, opts.sparsity, granularity),
  };
}

/** The settings a plan entry gives a magnitude projector: `options.sparsity`, `options.granularity`. */
export function magnitudeOptionsOf(target: LayerTarget): Required<MagnitudeOptions> {
  const sparsity = target.options['sparsity'];
  const granularity = target.options['granularity'] ?? 'weight';
  if (sparsity === undefined) {
    fail(
      ErrorCodes.OPTION,
      `layer "${target.name}": the magnitude projector needs options.sparsity`,
      'e.g. {"options": {"sparsity": 0.9, "granularity": "filter"}}',
    );
  }
  checkSparsity(sparsity);
  checkGranularity(granularity);
  return { sparsity, granularity };
}

/**
 * The plan-driven magnitude projector (id `magnitude`): reads `sparsity` and `granularity` from
 * each layer's `options`, so one registered projector serves every layer and setting.
 */
export const magnitudePlanProjector: Projector = {
  id: 'magnitude',
  project(weight: DenseTensor, target: LayerTarget): DenseTensor {
    const o = magnitudeOptionsOf(target);
    return magnitudeProject(weight, o.sparsity, o.granularity);
  },
};

/** Registers the `magnitude` projector (settings from each layer's plan options). */
export function registerMagnitude(registry?: PluginRegistry): void {
  registerProjector(magnitudePlanProjector, registry);
}
