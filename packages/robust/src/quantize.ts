/**
 * k-bit quantization as a projector: the nearest point of a symmetric uniform grid
 * {s·n : n ∈ ℤ, |n| ≤ 2^(k−1) − 1}, with the per-tensor scale s = max|w| / (2^(k−1) − 1). A weight
 * already on such a grid (whose largest magnitude is a grid end) is returned unchanged.
 *
 * @module
 */
import type { LayerTarget, Projector } from '@tensorslim/core';
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';

/** The registry id of {@link quantizeProjector}. */
export const QUANTIZE_ID = 'quantize';

/** The bit width a target asks for (`options.bits`), checked: an integer in [2, 16]. */
export function bitsOf(target: Pick<LayerTarget, 'name' | 'options'>, fallback?: number): number {
  const bits = (target.options.bits as number | undefined) ?? fallback;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 16) {
    fail(ErrorCodes.OPTION, `layer "${target.name}": quantization needs options.bits, an integer from 2 to 16 (got ${String(bits)})`, 'e.g. "bits": 8');
  }
  return bits;
}

/** Rounds `data` to the symmetric k-bit grid of its own scale (a new array). */
export function quantizeValues(data: Float64Array, bits: number): Float64Array {
  const levels = 2 ** (bits - 1) - 1;
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i]!));
  if (max === 0) return new Float64Array(data.length);
  const s = max / levels;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(-levels, Math.min(levels, Math.round(data[i]! / s))) * s;
  return out;
}

/**
 * The k-bit quantization projector (registry id {@link QUANTIZE_ID}); k is the target's
 * `options.bits`, or `bits` here when the target has none.
 */
export function quantizeProjector(bits?: number): Projector {
  return {
    id: QUANTIZE_ID,
    project(weight: DenseTensor, target: LayerTarget): DenseTensor {
      return { shape: [...weight.shape], data: quantizeValues(weight.data, bitsOf(target, bits)) };
    },
  };
}
