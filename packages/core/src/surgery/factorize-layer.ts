/**
 * One layer at a time: a factorized layer from a trained Conv2D or Dense layer (TensorLy-Torch's
 * `FactorizedConv.from_conv(conv, factorization=...)`, for any registered format), and a built
 * TF.js layer from a {@link FactorizedLayerSpec}.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import type { DecomposeOptions, DenseLayerInfo, Factors, FactorizedLayerSpec, FormatPlugin } from '../contracts.js';
import { decomposeKernel, withLayerName } from '../kernel.js';
import { resolveLayerTarget, type LayerPlan, type LayerTarget } from '../plan.js';
import { defaultRegistry, resolvePlugin, type PluginRegistry } from '../registry.js';
import { layoutModes } from '../tensorize.js';
import { denseLayerInfo, factorizability } from './layer-info.js';

/**
 * Decomposes `layer`'s kernel with `plugin` at the target's ranks ({@link decomposeKernel}) and
 * asks the plugin's layer factory for the layer that replaces it. Errors name the layer.
 */
export function decomposeLayer(
  plugin: FormatPlugin,
  layer: DenseLayerInfo,
  target: LayerTarget,
  opts: DecomposeOptions = {},
): { factors: Factors; spec: FactorizedLayerSpec } {
  const layers = plugin.layers;
  if (!layers) {
    fail(
      ErrorCodes.PLUGIN,
      `format "${plugin.id}" has no factorized layers; it can serve as an ADMM projector only`,
      'choose a format with layers for the layers to factorize',
    );
  }
  if (!layers.kinds.includes(layer.kind)) {
    fail(ErrorCodes.PLUGIN, `format "${plugin.id}" cannot factorize ${layer.kind} layers such as ${layer.name}`, `it handles: ${layers.kinds.join(', ')}`);
  }
  const factors = decomposeKernel(plugin.decomposition, layer.kernel, target, opts);
  const spec = withLayerName(layer.name, layoutModes(target.layout), () => layers.fromFactors(layer, factors, target));
  return { factors, spec };
}

/**
 * The TF.js layer a spec describes, built for `inputShape` (without the batch dimension) with
 * the spec's weights set (as float32). Its class must be registered with TF.js serialization
 * (importing the format's package does that).
 */
export function instantiateLayer(spec: FactorizedLayerSpec, inputShape: readonly number[]): tfl.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[spec.className];
  if (!entry) fail(ErrorCodes.MODEL, `layer class ${spec.className} is not registered with TF.js`, "import the format plugin's package first");
  const Cls = entry[0] as unknown as new (config: Record<string, unknown>) => tfl.layers.Layer;
  const layer = new Cls(spec.config);
  layer.build([null, ...inputShape]);
  const ws = spec.weights.map((w) => tf.tensor(Float32Array.from(w.data), [...w.shape], 'float32'));
  layer.setWeights(ws);
  tf.dispose(ws);
  return layer;
}

/** Options of {@link factorizeLayer}. */
export interface FactorizeLayerOptions {
  /** The format plugin (default: the one registered under the entry's format). */
  readonly plugin?: FormatPlugin;
  /** Registry to resolve the format from (default: the process-wide one). */
  readonly container?: PluginRegistry;
  /** The layer's input shape without the batch dimension, when it was never called on an input. */
  readonly inputShape?: readonly number[];
  /** Options for the decomposition; the entry's `options` override them. */
  readonly decompose?: DecomposeOptions;
}

/**
 * A factorized layer replacing a built TF.js Conv2D or Dense layer, initialised from the
 * decomposition of its kernel: `entry` is a plan entry (modes suggested when omitted) or a
 * resolved target. Returns the built layer with its weights set.
 */
export function factorizeLayer(layer: tfl.layers.Layer, entry: LayerPlan | LayerTarget, opts: FactorizeLayerOptions = {}): tfl.layers.Layer {
  const f = factorizability(layer);
  if (!f.kind) fail(ErrorCodes.OPTION, `${layer.name}: a ${layer.getClassName()} layer cannot be factorized`, 'factorize Conv2D and Dense layers');
  if (!layer.built || layer.weights.length === 0)
    fail(ErrorCodes.MODEL, `${layer.name}: the layer is not built yet`, 'build it (or call it on an input) first, so its kernel exists');
  const info = denseLayerInfo(layer, opts.inputShape);
  const plugin = opts.plugin ?? resolvePlugin(entry.format, opts.container ?? defaultRegistry);
  const target: LayerTarget =
    'layout' in entry ? entry : resolveLayerTarget(info.name, entry, info.kind, info.kernel.shape, plugin.preferredModes?.(info.kind, info.kernel.shape));
  return instantiateLayer(decomposeLayer(plugin, info, target, opts.decompose).spec, info.inputShape);
}
