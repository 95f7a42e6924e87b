/**
 * A per-layer table of a model: parameters, multiply-adds, factorizability.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { factorizability, NOT_FACTORIZABLE, layerInputShape, layerOutputShape, withoutBatch } from '@tensorslim/core';
import { layerFlops } from './flops.js';

/** One row of {@link modelSummary}. */
export interface LayerSummary {
  /** Layer name. */
  readonly name: string;
  /** TF.js class name (e.g. Conv2D, BatchNormalization, or a factorized layer's class). */
  readonly className: string;
  /** All parameters (trainable and not, e.g. BatchNormalization's moving statistics). */
  readonly params: number;
  /** Trainable parameters. */
  readonly trainableParams: number;
  /** Multiply-adds per example (see {@link layerFlops}). */
  readonly flops: number;
  /** Whether `factorizeModel` can replace this layer. */
  readonly factorizable: boolean;
  /** Why not, when `factorizable` is false and the layer is a Conv2D, a Dense or one of {@link NOT_FACTORIZABLE}. */
  readonly reason?: string;
  /** Input shape without the batch dimension (unknown sizes as 0). */
  readonly inputShape: readonly number[];
  /** Output shape without the batch dimension (unknown sizes as 0). */
  readonly outputShape: readonly number[];
}

/** {@link modelSummary}'s result: the rows and their totals. */
export interface ModelSummary {
  /** The model's name. */
  readonly name: string;
  /** One row per layer, in model order. */
  readonly layers: readonly LayerSummary[];
  /** Sum of `params`. */
  readonly totalParams: number;
  /** Sum of `trainableParams`. */
  readonly trainableParams: number;
  /** Sum of `flops` (multiply-adds per example). */
  readonly totalFlops: number;
  /** Parameters in factorizable layers. */
  readonly factorizableParams: number;
  /** Multiply-adds in factorizable layers. */
  readonly factorizableFlops: number;
}

function countWeights(layer: tfl.layers.Layer, trainableOnly: boolean): number {
  let n = 0;
  for (const w of trainableOnly ? layer.trainableWeights : layer.weights) n += w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
  return n;
}

/** Per layer: name, class, parameters, multiply-adds per example, factorizable; and the totals. */
export function modelSummary(model: tfl.LayersModel): ModelSummary {
  const layers: LayerSummary[] = model.layers.map((l) => {
    const f = factorizability(l);
    return {
      name: l.name,
      className: l.getClassName(),
      params: countWeights(l, false),
      trainableParams: countWeights(l, true),
      flops: layerFlops(l),
      factorizable: f.ok,
      ...(!f.ok && (f.kind || NOT_FACTORIZABLE[l.getClassName()]) ? { reason: f.reason } : {}),
      inputShape: withoutBatch(layerInputShape(l)),
      outputShape: withoutBatch(layerOutputShape(l)),
    };
  });
  const sum = (pick: (r: LayerSummary) => number, only?: (r: LayerSummary) => boolean) =>
    layers.filter((r) => !only || only(r)).reduce((a, r) => a + pick(r), 0);
  return {
    name: model.name,
    layers,
    totalParams: sum((r) => r.params),
    trainableParams: sum((r) => r.trainableParams),
    totalFlops: sum((r) => r.flops),
    factorizableParams: sum(
      (r) => r.params,
      (r) => r.factorizable,
    ),
    factorizableFlops: sum(
      (r) => r.flops,
      (r) => r.factorizable,
    ),
  };
}
