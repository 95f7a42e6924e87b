/**
 * Binding a compression plan to a model for ADMM: each planned layer must exist and be a Conv2D
 * or Dense layer (surgery's plan checks), its format must be registered and its ranks valid for
 * that format — all before any training starts, with errors that say what would have been right.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompressionPlan, PluginRegistry, LayerKind, LayerTarget } from '@tensorslim/core';
import { readFloat64 } from './read.js';
import { ErrorCodes, TensorslimError, defaultRegistry, fail, layoutModes, rankSpecKind, resolvePlugin, resolveProjector, tensorize } from '@tensorslim/core';
import { resolvePlanTargets } from '@tensorslim/surgery';

/** A planned layer bound to the model. */
export interface PlannedLayer {
  /** Layer name. */
  readonly name: string;
  /** conv2d or dense. */
  readonly kind: LayerKind;
  /** The plan entry with modes filled in and formulas evaluated. */
  readonly target: LayerTarget;
  /** The layer's kernel variable. */
  readonly kernel: tf.Variable;
}

/** The model's layers as "name (Class)" strings, for error messages. */
export function describeLayers(model: tfl.LayersModel): string {
  return model.layers.map((l) => `${l.name} (${l.getClassName()})`).join(', ');
}

function kernelOf(layer: tfl.layers.Layer): tf.Variable {
  const re = /(^|\/)kernel(_\d+)?$/;
  const w = layer.weights.find((v) => re.test(v.originalName ?? v.name)) ?? layer.weights[0];
  if (!w) fail(ErrorCodes.PLAN, `layer "${layer.name}" has no kernel weight (is it built?)`);
  return w.read() as tf.Variable;
}

/**
 * Binds every plan entry to its layer (surgery's `resolvePlanTargets`: a layer the model lacks is a
 * `TS_PLAN` error listing the model's factorizable layers; modes must factor the channels), then
 * checks each entry's format before any training starts:
 * - `TS_UNKNOWN_FORMAT` for a format nothing registered provides (the message lists the formats);
 * - `TS_RANK` for ranks the format rejects for this layer (checked by the format's own
 *   `resolveRanks`, so the rule is the plugin's; the message names the layer and its modes);
 * - with `requireDecomposition`, `TS_PLUGIN` for a projector-only format (nothing to decompose into).
 */
export async function resolvePlannedLayers(
  model: tfl.LayersModel,
  plan: CompressionPlan,
  container: PluginRegistry = defaultRegistry,
  opts: { requireDecomposition?: boolean } = {},
): Promise<PlannedLayer[]> {
  if (Object.keys(plan.layers).length === 0) fail(ErrorCodes.PLAN, 'the plan names no layers', `the model's layers: ${describeLayers(model)}`);
  const out: PlannedLayer[] = [];
  for (const target of resolvePlanTargets(model, plan)) {
    const kernel = kernelOf(model.getLayer(target.name));
    await checkFormat(target, kernel, container, opts.requireDecomposition ?? false);
    out.push({ name: target.name, kind: target.layout.kind, target, kernel });
  }
  return out;
}

async function checkFormat(target: LayerTarget, kernel: tf.Variable, container: PluginRegistry, requireDecomposition: boolean): Promise<void> {
  if (!container.get(target.format)) {
    if (requireDecomposition) resolvePlugin(target.format, container); // throws TS_UNKNOWN_FORMAT listing the formats
    if (container.regularizer(target.format)) return; // a regularizer registered alone serves the solver as a penalty
    resolveProjector(target.format, container); // a projector registered alone serves ADMM
    return;
  }
  const plugin = resolvePlugin(target.format, container);
  if (requireDecomposition && !plugin.layers) {
    fail(
      ErrorCodes.PLUGIN,
      `format "${target.format}" has no factorized layers, so layer "${target.name}" cannot be decomposed into it`,
      'use a format whose plugin provides layers',
    );
  }
  const modes = layoutModes(target.layout);
  try {
    const kind = rankSpecKind(target.ranks);
    const dataDependent = kind === 'eps' || kind === 'auto';
    const tensor = dataDependent ? tensorize({ shape: kernel.shape, data: await readFloat64(kernel) }, target.layout) : undefined;
    plugin.decomposition.resolveRanks(modes, target.ranks, { ...target.options, layout: target.layout, ...(tensor ? { tensor } : {}) });
  } catch (e) {
    if (e instanceof TensorslimError) {
      throw new TensorslimError(
        e.code,
        `layer "${target.name}" (kernel [${target.layout.kernelShape.join(', ')}] as ${target.format} modes [${modes.join(', ')}]): ${e.message}`,
        undefined,
        { ...(e.details ?? {}), layer: target.name, modes },
      );
    }
    throw e;
  }
}
