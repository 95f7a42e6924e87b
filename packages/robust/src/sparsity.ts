/**
 * A sparsity budget as a projector: keep the largest-magnitude fraction (1 − s) of the entries,
 * zero the rest. A minimal element-wise version for ATMC's Z-step (the prune package's
 * magnitude projector, with channel and block granularity, is the general one).
 *
 * @module
 */
import type { LayerTarget, Projector } from '@tensorslim/core';
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';

/** The registry id of {@link magnitudeProjector}. */
export const SPARSITY_ID = 'sparsity';

/** Options of {@link magnitudeProjector}. */
export interface MagnitudeOptions {
  /** Fraction of zeros in [0, 1) (default: the target's `options.sparsity`). */
  readonly sparsity?: number;
}

/** The fraction of zeros a target asks for (`options.sparsity`, or the fallback), checked. */
export function sparsityOf(target: Pick<LayerTarget, 'name' | 'options'>, fallback?: number): number {
  const s = (target.options.sparsity as number | undefined) ?? fallback;
  if (typeof s !== 'number' || !(s >= 0 && s < 1)) {
    fail(
      ErrorCodes.OPTION,
      `layer "${target.name}": a sparsity budget needs options.sparsity in [0, 1) (got ${String(s)})`,
      'e.g. "sparsity": 0.5 keeps half the entries',
    );
  }
  return s;
}

/** `data` with all but its ⌈(1 − s)·n⌉ largest-magnitude entries set to zero (ties: lower index first). */
export function keepLargest(data: Float64Array, sparsity: number): Float64Array {
  const keep = Math.ceil((1 - sparsity) * data.length);
  const order = Array.from(data.keys()).sort((a, b) => Math.abs(data[b]!) - Math.abs(data[a]!) || a - b);
  const out = new Float64Array(data.length);
  for (let i = 0; i < keep; i++) out[order[i]!] = data[order[i]!]!;
  return out;
}

/** The element-wise magnitude projector onto a sparsity budget (registry id {@link SPARSITY_ID}). */
export function magnitudeProjector(opts: MagnitudeOptions = {}): Projector {
  return {
    id: SPARSITY_ID,
    project(weight: DenseTensor, target: LayerTarget): DenseTensor {
      return { shape: [...weight.shape], data: keepLargest(weight.data, sparsityOf(target, opts.sparsity)) };
    },
  };
}
