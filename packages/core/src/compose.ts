/**
 * Projector composition: the projection onto the intersection of several constraint sets (a
 * channel mask and a low rank, a sparsity budget and a low rank and a quantization grid), built
 * from each set's own projector.
 *
 * The loop is alternating projection: x₀ = W; one sweep applies every projector in order,
 * x ← Π_k(… Π_1(x)); sweeps repeat until one moves x by at most `tol`·‖x‖ or `sweeps` ran. For
 * closed convex sets the iterates converge to a point of the intersection (von Neumann; the
 * nearest one needs Dykstra's corrections, which non-convex sets such as low-rank or sparse ones
 * do not have); for the non-convex sets of compression it converges locally, and the result lies
 * in the last set exactly and in the others up to the residual that {@link composeProjectors}
 * reports through `lastResidual`. One sweep (the default) is the plain composition
 * Π_k ∘ … ∘ Π_1 that ATMC (Gui et al., NeurIPS 2019) uses.
 *
 * @module
 */
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';
import type { Projector } from './contracts.js';
import type { LayerTarget } from './plan.js';

/** Options of {@link composeProjectors}. */
export interface ComposeOptions {
  /** Most sweeps over the projectors (default 1: the plain composition). */
  readonly sweeps?: number;
  /** Stop when a sweep moves the iterate by at most `tol`·‖x‖ (default 1e-6). */
  readonly tol?: number;
}

/** A composed projector, with what its last call did. */
export interface ComposedProjector extends Projector {
  /** The projectors, in the order each sweep applies them. */
  readonly parts: readonly Projector[];
  /** Sweeps the last {@link Projector.project} call ran. */
  readonly lastSweeps: number;
  /** ‖x_k − x_{k−1}‖/‖x_k‖ of the last sweep of the last call (0 after one sweep of idempotent parts on a fixed point). */
  readonly lastResidual: number;
}

function relChange(a: Float64Array, b: Float64Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += a[i]! ** 2;
  }
  return n > 0 ? Math.sqrt(d / n) : Math.sqrt(d);
}

/**
 * The projector onto the intersection of the sets of `parts`, by alternating projection (see the
 * module comment). Each part receives the same {@link LayerTarget} and reads its own settings
 * from it (ranks for a low-rank part, `options.sparsity` for a sparsity part, ...).
 */
export function composeProjectors(id: string, parts: readonly Projector[], opts: ComposeOptions = {}): ComposedProjector {
  const sweeps = opts.sweeps ?? 1;
  const tol = opts.tol ?? 1e-6;
  if (parts.length === 0) fail(ErrorCodes.PLUGIN, `composed projector "${id}" needs at least one projector`);
  if (!Number.isInteger(sweeps) || sweeps < 1) fail(ErrorCodes.OPTION, `composed projector "${id}": sweeps ${sweeps} must be a positive integer`);
  if (!(tol >= 0)) fail(ErrorCodes.OPTION, `composed projector "${id}": tol ${tol} must be ≥ 0`);
  let lastSweeps = 0;
  let lastResidual = 0;
  return {
    id,
    parts,
    get lastSweeps() {
      return lastSweeps;
    },
    get lastResidual() {
      return lastResidual;
    },
    project(weight: DenseTensor, target: LayerTarget): DenseTensor {
      let x = weight;
      for (let k = 1; k <= sweeps; k++) {
        const before = x.data;
        for (const p of parts) {
          x = p.project(x, target);
          if (x.data.length !== weight.data.length) {
            fail(ErrorCodes.SHAPE, `projector "${p.id}" in "${id}" returned ${x.data.length} values for a weight of ${weight.data.length}`);
          }
        }
        lastSweeps = k;
        lastResidual = relChange(x.data, before);
        if (lastResidual <= tol) break;
      }
      return x;
    },
  };
}
