/**
 * ATD ranks and shapes: the data tensor must be N × I × J (samples × features × time) and the rank
 * is one number, the CP rank R (an ATD model is a CP model, so CP's rank resolution applies).
 *
 * @module
 */
import { resolveCpRanks, type CpAlsOptions } from '@tensorslim/decomp-cp';
import { ErrorCodes, fail, type RankSpec } from '@tensorslim/core';
import type { DenseTensor } from '@tensorslim/linalg';

/** The rank convention, as shown in help texts and errors. */
export const ATD_RANK_CONVENTION = 'one number: the CP rank R of the data tensor N × I × J (ranks: [R]); the per-sample representations are A (N × R)';

/** Checks that `x` is an N × I × J data tensor. */
export function validateDataTensor(shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    fail(
      ErrorCodes.SHAPE,
      `atd decomposes a data tensor of 3 modes (samples × features × time); got shape [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`,
      'reshape the data to N × I × J, e.g. MNIST as N × 28 × 28',
    );
  }
}

/**
 * The ranks `spec` resolves to for a data tensor of `shape`: always `[R]`, by CP's rules (an `eps`
 * spec runs CP-ALS on `opts.tensor`, with the CP-ALS options in `opts`).
 */
export function resolveAtdRanks(shape: readonly number[], spec: RankSpec, opts: CpAlsOptions & { tensor?: DenseTensor } = {}): number[] {
  validateDataTensor(shape);
  return resolveCpRanks(shape, spec, opts);
}
