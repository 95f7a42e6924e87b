/**
 * What surgery needs to know about a TF.js layer: its kind, its input/output shapes, whether it
 * can be factorized, and its kernel and bias as float64 tensors.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DenseLayerInfo } from '../contracts.js';
import type { DenseTensor } from '@tensorslim/linalg';
import type { LayerKind } from '../tensorize.js';
import type { PlannableLayer } from '../plan.js';

/** A TF.js shape with a possibly unknown (null) batch or time dimension. */
export type LayerShape = (number | null)[];

/** The TF.js class names surgery can factorize, and the kind each maps to. */
export const FACTORIZABLE_CLASSES: Readonly<Record<string, LayerKind>> = { Conv2D: 'conv2d', Dense: 'dense' };

/**
 * Weight layers surgery leaves alone on purpose, and why (shown by `inspect` and in plan errors).
 */
export const NOT_FACTORIZABLE: Readonly<Record<string, string>> = {
  DepthwiseConv2D: 'depthwise: one kh×kw filter per channel, no Cin×Cout matrix to factorize',
  SeparableConv2D:
    'a separable convolution is factorized already (depthwise kh×kw, then 1×1); split it into DepthwiseConv2D + a 1×1 Conv2D to compress the 1×1',
};

/** Why a layer can or cannot be factorized. */
export interface Factorizability {
  /** True when `factorizeModel` can replace the layer. */
  readonly ok: boolean;
  /** conv2d or dense, when the class is one of {@link FACTORIZABLE_CLASSES}. */
  readonly kind?: LayerKind;
  /** The reason when `ok` is false. */
  readonly reason?: string;
}

function firstShape(s: unknown): LayerShape | undefined {
  if (!Array.isArray(s) || s.length === 0) return undefined;
  return (Array.isArray(s[0]) ? s[0] : s) as LayerShape;
}

/** The layer's input shape including the batch dimension (first inbound node), if it is connected. */
export function layerInputShape(layer: tfl.layers.Layer): LayerShape | undefined {
  const n = layer.inboundNodes[0];
  return n ? firstShape(n.inputShapes) : undefined;
}

/** The layer's output shape including the batch dimension (first inbound node), if it is connected. */
export function layerOutputShape(layer: tfl.layers.Layer): LayerShape | undefined {
  const n = layer.inboundNodes[0];
  return n ? firstShape(n.outputShapes) : undefined;
}

/** Drops the batch dimension; unknown sizes become 0 (callers report them as such). */
export function withoutBatch(shape: LayerShape | undefined): number[] {
  return (shape ?? []).slice(1).map((s) => s ?? 0);
}

/** Whether a layer can be factorized, and if not, why. */
export function factorizability(layer: tfl.layers.Layer): Factorizability {
  const cls = layer.getClassName();
  const kind = FACTORIZABLE_CLASSES[cls];
  if (!kind) return { ok: false, reason: NOT_FACTORIZABLE[cls] ?? `${cls} is not a Conv2D or Dense layer` };
  if (layer.inboundNodes.length > 1) return { ok: false, kind, reason: `${layer.name} is shared (called ${layer.inboundNodes.length} times)` };
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (kind === 'conv2d' && cfg.dataFormat === 'channelsFirst') {
    return { ok: false, kind, reason: `${layer.name} uses channelsFirst; factorized convolutions are NHWC (channelsLast)` };
  }
  if (!layer.built || layer.weights.length === 0) return { ok: false, kind, reason: `${layer.name} is not built` };
  return { ok: true, kind };
}

/** A TF.js tensor as a float64 {@link DenseTensor} (a copy). */
export function toDenseTensor(t: tf.Tensor): DenseTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.dataSync() as Float32Array) };
}

/** The kernel and bias of a Conv2D/Dense layer (by weight name, falling back to order). */
export function kernelAndBias(layer: tfl.layers.Layer): { kernel: tf.Tensor; bias?: tf.Tensor } {
  const vals = layer.getWeights();
  const names = layer.weights.map((w) => w.originalName ?? w.name);
  let ki = names.findIndex((n) => /(^|\/)kernel(_\d+)?$/.test(n));
  let bi = names.findIndex((n) => /(^|\/)bias(_\d+)?$/.test(n));
  if (ki < 0) ki = 0;
  if (bi < 0 && vals.length > 1) bi = ki === 0 ? 1 : 0;
  return { kernel: vals[ki]!, ...(bi >= 0 && vals[bi] ? { bias: vals[bi] } : {}) };
}

/** A layer's kernel and bias as float64 tensors. */
export interface LayerValues {
  /** The kernel. */
  readonly kernel: DenseTensor;
  /** The bias, when the layer has one. */
  readonly bias?: DenseTensor;
}

/** The kernel and bias of a Conv2D/Dense layer as float64 tensors (read synchronously). */
function copyLayerValues(layer: tfl.layers.Layer): LayerValues {
  const { kernel, bias } = kernelAndBias(layer);
  return { kernel: toDenseTensor(kernel), ...(bias ? { bias: toDenseTensor(bias) } : {}) };
}

/**
 * The kernel and bias of a Conv2D/Dense layer as float64 tensors, read without blocking: what
 * {@link denseLayerInfo} takes on a backend that cannot read synchronously (webgpu in Node).
 */
export async function readLayerValues(layer: tfl.layers.Layer): Promise<LayerValues> {
  const { kernel, bias } = kernelAndBias(layer);
  const read = async (t: tf.Tensor): Promise<DenseTensor> => ({ shape: [...t.shape], data: Float64Array.from((await t.data()) as Float32Array) });
  return { kernel: await read(kernel), ...(bias ? { bias: await read(bias) } : {}) };
}

/**
 * The {@link DenseLayerInfo} of one factorizable layer (kernel and bias copied to float64, or
 * `values` when given, e.g. from {@link readLayerValues}). Its input and output shapes come from
 * the layer's first call; pass `inputShape` (without the batch dimension) for a layer built but
 * never called on a symbolic input.
 */
export function denseLayerInfo(layer: tfl.layers.Layer, inputShape?: readonly number[], values?: LayerValues): DenseLayerInfo {
  const f = factorizability(layer);
  const { kernel, bias } = values ?? copyLayerValues(layer);
  const given = inputShape ? [null, ...inputShape] : undefined;
  return {
    name: layer.name,
    kind: f.kind ?? 'dense',
    config: { ...(layer.getConfig() as Record<string, unknown>) },
    inputShape: withoutBatch(given ?? layerInputShape(layer)),
    outputShape: withoutBatch(given ? firstShape(layer.computeOutputShape(given)) : layerOutputShape(layer)),
    kernel,
    ...(bias ? { bias } : {}),
  };
}

/**
 * The Conv2D and Dense layers of a model that can be factorized, in model order, with their
 * kernel/bias as float64 tensors, Keras config and input/output shapes without the batch.
 * The weights are read synchronously, which webgpu in Node cannot once a GPU op has written
 * them: there, call {@link denseLayerInfo} with {@link readLayerValues} per layer.
 */
export function denseLayers(model: tfl.LayersModel): DenseLayerInfo[] {
  return model.layers.filter((l) => factorizability(l).ok).map((l) => denseLayerInfo(l));
}

/**
 * The factorizable Conv2D and Dense layers of a model as {@link suggestPlan} takes them: name,
 * kind and kernel shape, in model order. No weight is read, so it works on any backend.
 */
export function plannableLayers(model: tfl.LayersModel): PlannableLayer[] {
  return model.layers.flatMap((l) => {
    const f = factorizability(l);
    return f.ok ? [{ name: l.name, kind: f.kind!, kernelShape: [...kernelAndBias(l).kernel.shape] }] : [];
  });
}
