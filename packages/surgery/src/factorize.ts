/**
 * Data-free factorization of a model: decompose each planned layer's kernel with its format
 * plugin and put the plugin's factorized layer in its place.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  decomposeLayer,
  defaultRegistry,
  denseLayerInfo,
  readLayerValues,
  replaceLayers,
  resolvePlugin,
  tensorize,
  type CompressionPlan,
  type DecomposeOptions,
  type FactorizedLayerSpec,
  type PluginRegistry,
} from '@tensorslim/core';
import { ErrorCodes, fail, relError, type DenseTensor } from '@tensorslim/linalg';
import { modelSummary } from './summary.js';
import { resolvePlanTargets } from './targets.js';

/** Options of {@link factorizeModel}. */
export interface FactorizeOptions {
  /** Registry to resolve format plugins from (default: the process-wide one). */
  readonly container?: PluginRegistry;
  /** Options for every decomposition (rng, svd, ...); a plan entry's `options` override them per layer. */
  readonly decompose?: DecomposeOptions;
  /**
   * Decompose these kernels (TF.js layout, by layer name) instead of the model's current ones,
   * e.g. ADMM's Z. Bias and every other weight still come from the model.
   */
  readonly weights?: Readonly<Record<string, DenseTensor>>;
  /**
   * Also measure each reconstruction against these kernels (TF.js layout, by layer name), e.g.
   * the trained kernels when `weights` are their projections: reported as `referenceError`.
   */
  readonly reference?: Readonly<Record<string, DenseTensor>>;
}

/** What happened to one layer in {@link factorizeModel}. */
export interface FactorizedLayerReport {
  /** Layer name. */
  readonly name: string;
  /** Plugin id. */
  readonly format: string;
  /** TF.js class of the new layer. */
  readonly className: string;
  /** The tensorized kernel's mode sizes. */
  readonly modes: readonly number[];
  /** Resolved ranks (the plugin's convention, clamped to what the data allows). */
  readonly ranks: readonly number[];
  /** Parameters of the dense layer (kernel + bias). */
  readonly paramsBefore: number;
  /** Parameters of the factorized layer (cores + bias). */
  readonly paramsAfter: number;
  /** Multiply-adds per example of the dense layer. */
  readonly flopsBefore: number;
  /** Multiply-adds per example of the factorized layer, in the forward mode it runs. */
  readonly flopsAfter: number;
  /** ‖K − K̂‖_F / ‖K‖_F of the decomposed kernel, in float64. */
  readonly relError: number;
  /** ‖R − K̂‖_F / ‖R‖_F against the layer's `reference` kernel R, in float64, when one was given. */
  readonly referenceError?: number;
  /** The forward mode the new layer runs ('factorized' or 'reconstructed'), when it says. */
  readonly forwardMode?: string;
}

/** {@link factorizeModel}'s result. */
export interface FactorizeResult {
  /** The new model (uncompiled); the input model is left as it was. */
  readonly model: tfl.LayersModel;
  /** One report per factorized layer, in model order. */
  readonly layers: readonly FactorizedLayerReport[];
}

/**
 * Factorizes the layers a plan names: for each, resolves the format plugin from the registry,
 * tensorizes the kernel in the paper's layout, decomposes it at the planned ranks, asks the
 * plugin's layer factory for the factorized layer and rebuilds the model with
 * {@link replaceLayers}. Decomposition options passed to the plugin are
 * `{ ...opts.decompose, ...entry.options, layout }` (see {@link decomposeLayer}).
 */
export async function factorizeModel(model: tfl.LayersModel, plan: CompressionPlan, opts: FactorizeOptions = {}): Promise<FactorizeResult> {
  const container = opts.container ?? defaultRegistry;
  const targets = resolvePlanTargets(model, plan, container);
  for (const [what, given] of [
    ['weights', opts.weights],
    ['reference kernels', opts.reference],
  ] as const) {
    for (const name of Object.keys(given ?? {})) {
      if (!targets.some((t) => t.name === name)) {
        fail(
          ErrorCodes.PLAN,
          `${what} were given for "${name}", which the plan does not factorize`,
          `planned layers: ${targets.map((t) => t.name).join(', ')}`,
        );
      }
    }
  }
  const before = new Map(modelSummary(model).layers.map((r) => [r.name, r]));
  const specs: Record<string, FactorizedLayerSpec> = {};
  const partial: Omit<FactorizedLayerReport, 'paramsAfter' | 'flopsAfter' | 'forwardMode'>[] = [];
  for (const target of targets) {
    const plugin = resolvePlugin(target.format, container);
    const layer = model.getLayer(target.name);
    const info0 = denseLayerInfo(layer, undefined, await readLayerValues(layer));
    const given = opts.weights?.[target.name];
    const reference = opts.reference?.[target.name];
    for (const [what, k] of [
      ['weights', given],
      ['the reference kernel', reference],
    ] as const) {
      if (k && (k.shape.length !== info0.kernel.shape.length || k.shape.some((s, i) => s !== info0.kernel.shape[i]))) {
        fail(ErrorCodes.SHAPE, `${what} for ${target.name}: shape [${k.shape.join(', ')}], the kernel is [${info0.kernel.shape.join(', ')}]`);
      }
    }
    const info = given ? { ...info0, kernel: given } : info0;
    const t = tensorize(info.kernel, target.layout);
    const { factors, spec } = decomposeLayer(plugin, info, target, opts.decompose);
    const rec = plugin.decomposition.reconstruct(factors);
    const err = relError(t, rec);
    specs[target.name] = { ...spec, config: { ...spec.config, name: target.name } };
    const b = before.get(target.name)!;
    partial.push({
      name: target.name,
      format: plugin.id,
      className: spec.className,
      modes: [...t.shape],
      ranks: [...factors.ranks],
      paramsBefore: b.params,
      flopsBefore: b.flops,
      relError: err,
      ...(reference ? { referenceError: relError(tensorize(reference, target.layout), rec) } : {}),
    });
  }
  const rebuilt = await replaceLayers(model, specs);
  const after = new Map(modelSummary(rebuilt).layers.map((r) => [r.name, r]));
  const layers = partial.map((p) => {
    const a = after.get(p.name)!;
    const mode = (rebuilt.getLayer(p.name) as unknown as { forwardMode?: unknown }).forwardMode;
    return { ...p, paramsAfter: a.params, flopsAfter: a.flops, ...(typeof mode === 'string' ? { forwardMode: mode } : {}) };
  });
  return { model: rebuilt, layers };
}
