/**
 * The TR decomposition and projector objects of the plugin: TR-SVD, optionally refined by
 * TR-ALS, behind core's `Decomposition` and `Projector` contracts.
 *
 * @module
 */
import {
  ErrorCodes,
  assertFinite,
  detensorize,
  evaluateRankSpec,
  fail,
  rankSpecKind,
  tensorize,
  type Decomposition,
  type Factors,
  type LayerTarget,
  type Projector,
  type RankSpec,
} from '@tensorslim/core';
import { type DenseTensor } from '@tensorslim/linalg';
import { trReconstruct } from './cores.js';
import { TR_RANK_CONVENTION, resolveSpecRanks, trParamCount, validateStartMode } from './ranks.js';
import { trAls } from './tr-als.js';
import { TR_FORMAT, trSvd, type TrSvdOptions } from './tr-svd.js';

/** Options of {@link trDecompose}: TR-SVD's, plus the ALS refinement. */
export interface TrDecomposeOptions extends TrSvdOptions {
  /** TR-ALS sweeps after TR-SVD (default 0: TR-SVD alone). */
  readonly alsSweeps?: number;
  /** TR-ALS relative-improvement tolerance (default 1e-6). */
  readonly alsTol?: number;
}

/**
 * TR-SVD of `tensor` at the ranks `spec` gives, then (when `alsSweeps` > 0) TR-ALS from there;
 * the ALS result is never worse than TR-SVD's.
 */
export function trDecompose(tensor: DenseTensor, spec: RankSpec, opts: TrDecomposeOptions = {}): Factors {
  const sweeps = opts.alsSweeps ?? 0;
  if (typeof sweeps !== 'number' || !Number.isInteger(sweeps) || sweeps < 0) {
    fail(ErrorCodes.OPTION, `alsSweeps = ${String(sweeps)} must be a non-negative integer`);
  }
  const f = trSvd(tensor, spec, opts);
  if (sweeps === 0) return f;
  return trAls(tensor, f, { maxSweeps: sweeps, ...(opts.alsTol !== undefined ? { tol: opts.alsTol } : {}) });
}

/**
 * The ring ranks `spec` resolves to for a tensor of `shape` (clamped for TR-SVD from
 * `opts.startMode`). An `eps` spec depends on the data: pass `opts.tensor`.
 */
export function trResolveRanks(
  shape: readonly number[],
  spec: RankSpec,
  opts: TrSvdOptions & { tensor?: DenseTensor } = {},
): number[] {
  const ev = evaluateRankSpec(spec, { d: shape.length });
  const startMode = validateStartMode(opts.startMode, shape.length);
  if (rankSpecKind(ev) === 'eps') {
    if (!opts.tensor) return resolveSpecRanks(shape, ev, startMode); // throws the eps hint
    if (opts.tensor.shape.length !== shape.length || opts.tensor.shape.some((s, i) => s !== shape[i])) {
      fail(ErrorCodes.SHAPE, `resolveRanks: tensor shape [${opts.tensor.shape.join(', ')}] differs from [${shape.join(', ')}]`);
    }
    return [...trSvd(opts.tensor, ev, opts).ranks];
  }
  return resolveSpecRanks(shape, ev, startMode);
}

/** The TR decomposition object (core's `Decomposition` contract). */
export const trDecomposition: Decomposition = {
  decompose: (tensor, spec, opts) => trDecompose(tensor, spec, (opts ?? {}) as TrDecomposeOptions),
  reconstruct: (factors) => trReconstruct(factors),
  paramCount: (shape, ranks) => trParamCount(shape, ranks),
  resolveRanks: (shape, spec, opts) => trResolveRanks(shape, spec, (opts ?? {}) as TrSvdOptions & { tensor?: DenseTensor }),
  rankConvention: TR_RANK_CONVENTION,
};

/** The decomposition options a plan entry's `options` carry for TR (startMode, alsSweeps, alsTol, svd). */
export function trOptionsFromTarget(options: Readonly<Record<string, unknown>>): TrDecomposeOptions {
  const o: Record<string, unknown> = {};
  for (const k of ['startMode', 'alsSweeps', 'alsTol'] as const) {
    const v = options[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(ErrorCodes.OPTION, `TR option ${k} = ${JSON.stringify(v)} must be a number`);
    o[k] = v;
  }
  if (options.svd !== undefined) o.svd = options.svd;
  return o as TrDecomposeOptions;
}

/**
 * ADMM's Z-step for TR: the weight (TF.js kernel layout) → tensorized with the target's layout →
 * TR-SVD at the target's ranks (+ `options.alsSweeps` TR-ALS sweeps) → reconstructed → back to
 * the kernel layout. Non-finite weights are a `TS_NON_FINITE` error.
 */
export function trProject(weight: DenseTensor, target: LayerTarget): DenseTensor {
  assertFinite(weight.data, `the weight of layer ${target.name}`);
  const t = tensorize(weight, target.layout);
  const f = trDecompose(t, target.ranks, trOptionsFromTarget(target.options));
  return detensorize(trReconstruct(f), target.layout);
}

/** The TR projector (core's `Projector` contract), registered under id "tr". */
export const trProjector: Projector = {
  id: TR_FORMAT,
  project: trProject,
};
