/**
 * Multiply-adds per example of a TF.js layer, counted from its shapes and config. Layers without
 * weights (pooling, activations, BatchNormalization, Add, ...) count 0: only the multiply-adds of
 * weight layers are counted, the convention of the compression literature.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { FactorizedConv2D, FactorizedDense, layerInputShape, layerOutputShape, type LayerShape } from '@tensorslim/core';

/**
 * A layer may report its own multiply-adds per example by having this method (a custom layer
 * tensorslim does not know, e.g. a recurrence written by a user). {@link layerFlops} calls it first.
 */
export interface FlopCounter {
  /** Multiply-adds per example of the layer's forward pass. */
  countFlops(): number;
}

function hasFlopCounter(l: unknown): l is FlopCounter {
  return typeof (l as Partial<FlopCounter>).countFlops === 'function';
}

function prod(xs: readonly (number | null | undefined)[]): number {
  let p = 1;
  for (const x of xs) p *= x ?? 1;
  return p;
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  const a = (v ?? [1, 1]) as number[];
  return [a[0] ?? 1, a[1] ?? a[0] ?? 1];
}

/** Positions a last-axis layer is applied at: the product of the non-batch, non-feature sizes. */
function positions(s: LayerShape | undefined): number {
  return s ? prod(s.slice(1, -1)) : 1;
}

/**
 * Multiply-adds per example of one layer's forward pass. Counts Conv1D, Conv2D,
 * Conv2DTranspose, DepthwiseConv2D, SeparableConv2D, Dense (at every position of a sequence),
 * LSTM, GRU, SimpleRNN (per time step × steps), tensorslim's factorized layers (the forward mode
 * they run: factorized or reconstructed) and any layer with a `countFlops()` method; 0 otherwise.
 */
export function layerFlops(layer: tfl.layers.Layer): number {
  if (hasFlopCounter(layer)) return layer.countFlops();
  const inS = layerInputShape(layer);
  const outS = layerOutputShape(layer);
  if (layer instanceof FactorizedConv2D) {
    return layer.forwardMode === 'factorized' ? layer.factorizedFlops() : layer.denseFlops();
  }
  if (layer instanceof FactorizedDense) {
    return positions(inS) * (layer.forwardMode === 'factorized' ? layer.factorizedFlops() : layer.denseFlops());
  }
  const cfg = layer.getConfig() as Record<string, unknown>;
  const cin = inS ? (inS[inS.length - 1] ?? 0) : 0;
  const cout = outS ? (outS[outS.length - 1] ?? 0) : 0;
  const outPixels = outS ? prod(outS.slice(1, -1)) : 1;
  const inPixels = inS ? prod(inS.slice(1, -1)) : 1;
  const units = typeof cfg.units === 'number' ? cfg.units : 0;
  switch (layer.getClassName()) {
    case 'Dense':
      return positions(inS) * cin * cout;
    case 'Conv1D': {
      const k = pair(cfg.kernelSize)[0];
      return outPixels * k * cin * cout;
    }
    case 'Conv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      return outPixels * kh * kw * cin * cout;
    }
    case 'Conv2DTranspose': {
      const [kh, kw] = pair(cfg.kernelSize);
      return inPixels * kh * kw * cin * cout;
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      const dm = typeof cfg.depthMultiplier === 'number' ? cfg.depthMultiplier : 1;
      return outPixels * kh * kw * cin * dm;
    }
    case 'SeparableConv2D': {
      const [kh, kw] = pair(cfg.kernelSize);
      const dm = typeof cfg.depthMultiplier === 'number' ? cfg.depthMultiplier : 1;
      return outPixels * (kh * kw * cin * dm + cin * dm * cout);
    }
    case 'SimpleRNN':
    case 'GRU':
    case 'LSTM': {
      const gates = { SimpleRNN: 1, GRU: 3, LSTM: 4 }[layer.getClassName() as 'LSTM'];
      const steps = inS && inS.length >= 3 ? (inS[1] ?? 1) : 1;
      return steps * gates * (cin * units + units * units);
    }
    default:
      return 0;
  }
}
