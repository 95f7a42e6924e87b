/**
 * The reweighted group regularizer of Zhang et al., "A unified DNN weight compression framework
 * using reweighted optimization methods" (arXiv 2004.05531): each group g (one weight, one filter
 * or one channel, as in {@link grouping}) is penalised by α_g‖W_g‖² with
 * α_g = 1/(‖W_g‖² + ε), re-estimated from the current weight every K steps. Between re-estimates
 * the penalty is quadratic; at a re-estimate α_g‖W_g‖² ≈ 1 for a large group and ≈ ‖W_g‖²/ε for
 * a small one, so the sum approximates the number of nonzero groups: small groups are pushed to
 * zero, large ones are left nearly alone. After training, the groups are hard-pruned to the target
 * sparsity ({@link magnitudeProject}) and the model is fine-tuned with the mask held.
 *
 * As a core `Regularizer` the penalty is ½ Σ_i c_i w_i² with c_i = λ·α_{g(i)}, i.e.
 * (λ/2) Σ_g α_g‖W_g‖²; the solver adds c ⊙ W to the gradient on the device.
 *
 * @module
 */
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';
import { registerRegularizer, type LayerTarget, type PluginRegistry, type Regularizer } from '@tensorslim/core';
import { checkGranularity, grouping, groupNorms2, type Granularity } from './sparsity.js';

/** Settings of the reweighted regularizer (a plan entry's `options`). */
export interface ReweightedOptions {
  /** What a group is (default `'weight'`). */
  readonly granularity: Granularity;
  /** ε in α_g = 1/(‖W_g‖² + ε) (default 1e-3). */
  readonly epsilon: number;
  /** λ, the penalty's strength (default 1e-3). */
  readonly strength: number;
}

/** The defaults: weight granularity, ε = 1e-3, λ = 1e-3. */
export const REWEIGHTED_DEFAULTS: ReweightedOptions = Object.freeze({ granularity: 'weight', epsilon: 1e-3, strength: 1e-3 });

/** The reweighted settings of a plan entry (defaults filled in; `TS_OPTION` for bad values). */
export function reweightedOptionsOf(target: Pick<LayerTarget, 'name' | 'options'>): ReweightedOptions {
  const o = { ...REWEIGHTED_DEFAULTS, ...pick(target.options) };
  checkGranularity(o.granularity);
  for (const k of ['epsilon', 'strength'] as const) {
    if (typeof o[k] !== 'number' || !(o[k] > 0) || !Number.isFinite(o[k])) {
      fail(ErrorCodes.OPTION, `layer "${target.name}": reweighted ${k} ${String(o[k])} must be a positive number`, `the default is ${REWEIGHTED_DEFAULTS[k]}`);
    }
  }
  return o;
}

function pick(o: Readonly<Record<string, unknown>>): Partial<ReweightedOptions> {
  const out: Record<string, unknown> = {};
  for (const k of ['granularity', 'epsilon', 'strength']) if (o[k] !== undefined) out[k] = o[k];
  return out as Partial<ReweightedOptions>;
}

/** α_g = 1/(‖W_g‖² + ε) for every group of `weight`. */
export function reweightedAlphas(weight: DenseTensor, granularity: Granularity, epsilon: number): Float64Array {
  return groupNorms2(weight, granularity).map((n) => 1 / (n + epsilon));
}

/** The coefficients c_i = λ·α_{g(i)} (the weight's shape). */
export function reweightedCoefficients(weight: DenseTensor, o: ReweightedOptions): DenseTensor {
  const alpha = reweightedAlphas(weight, o.granularity, o.epsilon);
  const { group } = grouping(weight.shape, o.granularity);
  const data = new Float64Array(weight.data.length);
  for (let i = 0; i < data.length; i++) data[i] = o.strength * alpha[group[i]!]!;
  return { shape: [...weight.shape], data };
}

/** The reweighted regularizer (id `reweighted`): settings from each layer's plan options. */
export const reweightedRegularizer: Regularizer = {
  id: 'reweighted',
  coefficients: (weight, target) => reweightedCoefficients(weight, reweightedOptionsOf(target)),
};

/** Registers the `reweighted` regularizer. */
export function registerReweighted(registry?: PluginRegistry): void {
  registerRegularizer(reweightedRegularizer, registry);
}
