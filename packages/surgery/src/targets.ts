/**
 * Binding a compression plan to a model: every entry must name a factorizable layer.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  defaultRegistry,
  factorizability,
  kernelAndBias,
  parsePlan,
  resolveLayerTarget,
  type CompressionPlan,
  type LayerTarget,
  type PluginRegistry,
} from '@tensorslim/core';
import { ErrorCodes, fail } from '@tensorslim/linalg';

/** Names of the layers of `model` that can be factorized, in model order. */
export function factorizableLayerNames(model: tfl.LayersModel): string[] {
  return model.layers.filter((l) => factorizability(l).ok).map((l) => l.name);
}

/**
 * Resolves every entry of `plan` against `model`: the layer must exist (`TS_PLAN` lists the
 * model's factorizable layers otherwise) and be a factorizable Conv2D/Dense (`TS_PLAN` says what
 * it is); modes are suggested or validated and rank formulas evaluated by core's
 * {@link resolveLayerTarget} (`TS_FACTOR` when modes do not multiply to the channel counts).
 * An entry without modes gets its format's preferred split (`preferredModes` of the plugin in
 * `registry`, default the process-wide one), else the suggested one. Targets come back in model order.
 */
export function resolvePlanTargets(model: tfl.LayersModel, plan: CompressionPlan, registry: PluginRegistry = defaultRegistry): LayerTarget[] {
  const p = parsePlan(plan);
  const known = factorizableLayerNames(model);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const hint = known.length ? `factorizable layers of ${model.name}: ${known.join(', ')}` : `${model.name} has no factorizable (Conv2D/Dense) layer`;
  const missing = Object.keys(p.layers).filter((n) => !byName.has(n));
  if (missing.length) {
    fail(ErrorCodes.PLAN, `the plan names ${missing.length === 1 ? 'a layer' : 'layers'} the model does not have: ${missing.join(', ')}`, hint, {
      missing,
      known,
    });
  }
  const targets: LayerTarget[] = [];
  for (const layer of model.layers) {
    const entry = p.layers[layer.name];
    if (!entry) continue;
    const f = factorizability(layer);
    if (!f.ok) fail(ErrorCodes.PLAN, `the plan names layer "${layer.name}", which cannot be factorized: ${f.reason}`, hint, { known });
    const { kernel } = kernelAndBias(layer);
    const preferred = registry.get(entry.format)?.preferredModes?.(f.kind!, kernel.shape);
    targets.push(resolveLayerTarget(layer.name, entry, f.kind!, kernel.shape, preferred));
  }
  return targets;
}
