/**
 * The TT layer factory: registration with TF.js serialization, building a
 * {@link FactorizedLayerSpec} from factors, and building a ready TF.js layer from an existing
 * Conv2D/Dense layer (initialised by TT-SVD of its kernel).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  denseFlops,
  ErrorCodes,
  factorizedBias,
  factorizedLayerArgs,
  fail,
  layoutDims,
  registerLayerClasses,
  resolveLayerTarget,
  threeStageFlops,
  type DenseLayerInfo,
  type Factors,
  type FactorizedLayerSpec,
  type LayerFactory,
  type LayerKind,
  type LayerPlan,
  type LayerTarget,
  flopsForMode,
} from '@tensorslim/core';
import { sizeOf, type DenseTensor } from '@tensorslim/linalg';
import { kernelLayout, ttDecomposeKernel } from '../projector.js';
import { validateTtFactors } from '../tt-tensor.js';
import { TTConv2D, type TTConv2DArgs } from './tt-conv2d.js';
import { TTDense, type TTDenseArgs } from './tt-dense.js';

/** The TT layer classes, as registered with TF.js serialization. */
export const TT_LAYER_CLASSES = [TTConv2D, TTDense] as const;

/** Registers {@link TTConv2D} and {@link TTDense} with TF.js serialization (idempotent). */
export function registerTtLayers(): void {
  registerLayerClasses(TT_LAYER_CLASSES as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>[]);
}

/**
 * The factorized layer spec equivalent to `layer` with TT `factors` of its tensorized kernel:
 * className, config (name, activation, useBias, strides, padding, dilation taken from the
 * original config), weights (cores, then the bias), parameter and FLOP counts.
 */
export function ttLayerSpec(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
  validateTtFactors(factors, `${layer.name}: TT factors`);
  const layout = kernelLayout(layer.kernel, { ...target, name: layer.name });
  const modes = layout.kind === 'conv2d'
    ? [...layout.outModes, layout.kernelShape[0]! * layout.kernelShape[1]!, ...layout.inModes]
    : [...layout.outModes, ...layout.inModes];
  if (factors.shape.length !== modes.length || factors.shape.some((n, i) => n !== modes[i])) {
    fail(
      ErrorCodes.SHAPE,
      `${layer.name}: the TT factors are of a tensor [${factors.shape.join(', ')}], the plan's layout gives modes [${modes.join(', ')}]`,
      'decompose the kernel tensorized with the same layout (ttDecomposeKernel)',
    );
  }
  const { cin, cout, kh, kw } = layoutDims(layout);
  const common = factorizedLayerArgs(layer, { ...target, layout });
  const mode = common.mode ?? 'auto';
  const base = { ...common, outModes: [...layout.outModes], inModes: [...layout.inModes], ranks: [...factors.ranks] };
  const weights: DenseTensor[] = [...factors.cores];
  const bias = factorizedBias(layer, common);
  if (bias) weights.push(bias);
  const params = weights.reduce((a, w) => a + w.data.length, 0);
  const m = layout.outModes.length;
  let config: Record<string, unknown>;
  let className: string;
  let fact: number;
  let dense: number;
  if (layout.kind === 'conv2d') {
    const args = base as TTConv2DArgs; // factorizedLayerArgs gives the conv geometry for a conv2d layer
    config = { ...args };
    className = TTConv2D.className;
    const inPixels = (layer.inputShape[0] ?? 1) * (layer.inputShape[1] ?? 1);
    const outPixels = (layer.outputShape[0] ?? 1) * (layer.outputShape[1] ?? 1);
    const r = factors.ranks;
    fact = threeStageFlops({ cin, r1: r[m + 1]!, r2: r[m]!, cout, kh, kw }, inPixels, outPixels);
    dense = denseFlops(kh, kw, cin, cout, outPixels);
  } else {
    const args: TTDenseArgs = { ...base };
    config = { ...args };
    className = TTDense.className;
    const r = factors.ranks[m]!;
    const rows = sizeOf(layer.inputShape.slice(0, -1)); // a Dense layer on [.., In] runs per row
    fact = rows * threeStageFlops({ cin, r1: r, r2: r, cout, kh: 1, kw: 1, middleIdentity: true }, 1, 1);
    dense = rows * cin * cout;
  }
  const flops = flopsForMode(mode, fact, dense);
  return { className, config, weights, params, flops };
}

/** The TT layer spec of `layer`, initialised by TT-SVD of its kernel at the target's ranks. */
export function ttLayerSpecFromKernel(layer: DenseLayerInfo, target: LayerTarget): FactorizedLayerSpec {
  return ttLayerSpec(layer, ttDecomposeKernel(layer.kernel, { ...target, name: layer.name }), target);
}

/**
 * A built TF.js layer from a spec: constructs the class, builds it for `inputShape` (without
 * the batch dimension) and sets the spec's weights (as float32).
 */
export function instantiateTtLayer(spec: FactorizedLayerSpec, inputShape: readonly number[]): TTConv2D | TTDense {
  let layer: TTConv2D | TTDense;
  if (spec.className === TTConv2D.className) layer = new TTConv2D(spec.config as unknown as TTConv2DArgs);
  else if (spec.className === TTDense.className) layer = new TTDense(spec.config as unknown as TTDenseArgs);
  else return fail(ErrorCodes.OPTION, `class ${spec.className} is not a TT layer (TTConv2D, TTDense)`);
  layer.build([null, ...inputShape]);
  const ws = spec.weights.map((w) => tf.tensor(Float32Array.from(w.data), [...w.shape], 'float32'));
  layer.setWeights(ws);
  tf.dispose(ws);
  return layer;
}

function tensorOf(t: tf.Tensor): DenseTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync()) };
}

/**
 * What the factory needs to know about a built TF.js Conv2D or Dense layer: kind, config,
 * shapes and weights. `inputShape` (without the batch dimension) is read from the layer when it
 * has been called on an input; pass it otherwise.
 */
export function denseLayerInfo(layer: tfl.layers.Layer, inputShape?: readonly number[]): DenseLayerInfo {
  const cls = layer.getClassName();
  const kind: LayerKind | null = cls === 'Conv2D' ? 'conv2d' : cls === 'Dense' ? 'dense' : null;
  if (!kind) fail(ErrorCodes.OPTION, `${layer.name}: a ${cls} layer cannot become a TT layer`, 'TT replaces Conv2D and Dense layers');
  if (!layer.built) fail(ErrorCodes.MODEL, `${layer.name}: the layer is not built yet`, 'build it (or call it on an input) first, so its kernel exists');
  let shapeIn = inputShape ? [...inputShape] : null;
  if (!shapeIn) {
    let s: unknown = layer.inboundNodes[0]?.inputShapes ?? (layer.getConfig() as { batchInputShape?: unknown }).batchInputShape ?? null;
    if (Array.isArray(s) && Array.isArray(s[0])) s = s[0];
    if (!Array.isArray(s)) fail(ErrorCodes.SHAPE, `${layer.name}: the layer's input shape is unknown`, 'pass inputShape (without the batch dimension)');
    shapeIn = (s as (number | null)[]).slice(1).map((x) => x ?? 1);
  }
  const out = layer.computeOutputShape([null, ...shapeIn]) as (number | null)[];
  const weights = layer.getWeights();
  return {
    name: layer.name,
    kind,
    config: layer.getConfig() as Record<string, unknown>,
    inputShape: shapeIn,
    outputShape: out.slice(1).map((x) => x ?? 1),
    kernel: tensorOf(weights[0]!),
    ...(weights[1] ? { bias: tensorOf(weights[1]) } : {}),
  };
}

/**
 * A TT layer replacing a built TF.js Conv2D or Dense layer, initialised by TT-SVD of its kernel
 * (TensorLy-Torch's `from_conv` idea). `entry` is a plan entry (modes suggested when omitted) or
 * a resolved target. Returns the built layer with its weights set.
 */
export function ttLayerFromLayer(layer: tfl.layers.Layer, entry: LayerPlan | LayerTarget, inputShape?: readonly number[]): TTConv2D | TTDense {
  const info = denseLayerInfo(layer, inputShape);
  const target: LayerTarget = 'layout' in entry ? entry : resolveLayerTarget(info.name, entry, info.kind, info.kernel.shape);
  return instantiateTtLayer(ttLayerSpecFromKernel(info, target), info.inputShape);
}

/** The TT layer factory of the plugin. */
export const ttLayerFactory: LayerFactory = {
  kinds: ['conv2d', 'dense'],
  classNames: [TTConv2D.className, TTDense.className],
  register: registerTtLayers,
  fromFactors: ttLayerSpec,
};
