/**
 * ATMC's constraint set (Gui et al., NeurIPS 2019) as a format: the intersection of a sparsity
 * budget, a low-rank format (any registered plugin) and optionally a k-bit grid. {@link atmcPlugin}
 * derives from a low-rank plugin a plugin `atmc-<id>` whose projector is core's
 * `composeProjectors` of [sparsity (prune's magnitude projector), the format's projector, quantization] — ADMM's Z-step then
 * projects onto the intersection — and whose decomposition and factorized layers are the
 * format's own, so the pipeline decomposes the final Z into that format. {@link registerAtmc} rewrites
 * a plan's entries to the derived formats with the budget in their options.
 *
 * @module
 */
import type { CompressionPlan, FormatPlugin, PluginRegistry, Projector } from '@tensorslim/core';
import { composeProjectors, defaultRegistry, resolvePlugin } from '@tensorslim/core';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import { quantizeProjector } from './quantize.js';
import { magnitudeProjector, type Granularity } from '@tensorslim/prune';

/** The constraint budget of {@link atmcPlugin} and {@link registerAtmc}. */
export interface AtmcBudget {
  /** Fraction of zeros of each planned kernel, in [0, 1); 0 or absent: no sparsity constraint. */
  readonly sparsity?: number;
  /** What the sparsity budget counts: single weights (default), filters or channels (prune's granularities). */
  readonly granularity?: Granularity;
  /** Bits of the quantization grid (2–16); absent: no quantization constraint. */
  readonly bits?: number;
  /** Sweeps of alternating projection (default 1: the plain composition ATMC uses). */
  readonly sweeps?: number;
}

/** The id of the ATMC format derived from a low-rank format. */
export function atmcFormatId(baseId: string): string {
  return `atmc-${baseId}`;
}

/**
 * The ATMC format derived from a low-rank plugin: projector = quantize ∘ lowRank ∘ sparsity (each
 * part present when the budget has it; the last applied is met exactly), decomposition and layers
 * the base plugin's.
 */
export function atmcPlugin(base: FormatPlugin, budget: AtmcBudget = {}): FormatPlugin {
  const id = atmcFormatId(base.id);
  const parts: Projector[] = [
    ...(budget.sparsity ? [magnitudeProjector({ sparsity: budget.sparsity, granularity: budget.granularity ?? 'weight' })] : []),
    base.projector,
    ...(budget.bits !== undefined ? [quantizeProjector(budget.bits)] : []),
  ];
  return {
    ...base,
    id,
    name: `ATMC (${base.name})`,
    description: `the intersection of a sparsity budget, ${base.name} and a quantization grid (ATMC), decomposed as ${base.name}`,
    projector: composeProjectors(id, parts, { sweeps: budget.sweeps ?? 1 }),
  };
}

/**
 * Registers `atmc-<format>` for every format `plan` names and returns the plan with each entry's
 * format replaced by its ATMC format and the budget in its options.
 */
export function registerAtmc(plan: CompressionPlan, budget: AtmcBudget, registry: PluginRegistry = defaultRegistry): CompressionPlan {
  if (budget.sparsity !== undefined && !(budget.sparsity >= 0 && budget.sparsity < 1)) {
    fail(ErrorCodes.OPTION, `sparsity ${budget.sparsity} must be in [0, 1)`, 'e.g. 0.5 zeros half of each kernel');
  }
  if (budget.bits !== undefined && !(Number.isInteger(budget.bits) && budget.bits >= 2 && budget.bits <= 16)) {
    fail(ErrorCodes.OPTION, `quantization bits ${budget.bits} must be an integer from 2 to 16`);
  }
  const layers: Record<string, CompressionPlan['layers'][string]> = {};
  for (const [name, entry] of Object.entries(plan.layers)) {
    const id = atmcFormatId(entry.format);
    if (!registry.get(id)) registry.register(atmcPlugin(resolvePlugin(entry.format, registry), budget));
    layers[name] = {
      ...entry,
      format: id,
      options: {
        ...(entry.options ?? {}),
        ...(budget.sparsity ? { sparsity: budget.sparsity } : {}),
        ...(budget.bits !== undefined ? { bits: budget.bits } : {}),
      },
    };
  }
  return { ...plan, layers };
}
