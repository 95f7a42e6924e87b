import {
  denseFlops,
  ErrorCodes,
  fail,
  layoutDims,
  layoutModes,
  registerLayerClasses,
  validateLayout,
  type DenseLayerInfo,
  type DenseTensor,
  type Factors,
  type FactorizedLayerSpec,
  type ForwardMode,
  type LayerFactory,
  type LayerTarget,
} from '@tensorslim/core';
import { cpConvFlops, CPConv2D } from './layers.js';

/** strides / dilationRate in a Keras config: a number or a pair. */
function pair(v: unknown): [number, number] {
  if (v === undefined || v === null) return [1, 1];
  if (typeof v === 'number') return [v, v];
  const a = v as number[];
  return [a[0]!, a[1] ?? a[0]!];
}

/** The plan option `forwardMode` ('factorized' | 'reconstructed' | 'auto', default 'auto'). */
function forwardModeOf(target: LayerTarget): ForwardMode {
  const m = target.options.forwardMode ?? 'auto';
  if (m !== 'auto' && m !== 'factorized' && m !== 'reconstructed') {
    fail(ErrorCodes.OPTION, `${target.name}: forwardMode "${String(m)}" is not factorized, reconstructed or auto`);
  }
  return m;
}

/** A CPConv2D spec equivalent to `layer`, from the CP factors of its kernel tensorized by `target.layout`. */
export function cpLayerFromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
  const layout = target.layout;
  validateLayout(layout, layer.name);
  const want = layoutModes(layout);
  if (factors.shape.length !== want.length || factors.shape.some((s, i) => s !== want[i])) {
    fail(ErrorCodes.SHAPE, `${layer.name}: factors of shape [${factors.shape.join(', ')}], the layout gives [${want.join(', ')}]`);
  }
  const rank = factors.ranks[0]!;
  const { cin, cout, kh, kw } = layoutDims(layout);
  const c = layer.config;
  const useBias = (c.useBias as boolean | undefined) ?? layer.bias !== undefined;
  const mode = forwardModeOf(target);
  const config = {
    name: layer.name,
    units: cout,
    inputChannels: cin,
    useBias,
    activation: (c.activation as string | null | undefined) ?? null,
    mode,                                                    // plan option forwardMode → config mode
    kernelSize: [kh, kw] as [number, number],
    strides: pair(c.strides),
    padding: (c.padding as 'same' | 'valid' | undefined) ?? 'valid',
    dilationRate: pair(c.dilationRate),
    rank,
    outModes: [...layout.outModes],
    inModes: [...layout.inModes],
  };
  // weights: the cores in coreShapes() order (λ folded into the first output factor), then the bias
  const d = factors.shape.length;
  const lambda = factors.cores[d]!.data;
  const weights: DenseTensor[] = factors.cores.slice(0, d).map((f, k) => {
    const data = Float64Array.from(f.data);
    if (k === 0) for (let i = 0; i < data.length; i++) data[i]! *= lambda[i % rank]!;
    return { shape: [...f.shape], data };
  });
  if (useBias) weights.push(layer.bias ?? { shape: [cout], data: new Float64Array(cout) });
  const params = weights.reduce((s, w) => s + w.data.length, 0);
  // multiply-adds per example of the forward that will run, counted as the built layer counts them:
  // factorized = the layer's factorizedFlops() (threeStageFlops(stageSizes, …) unless overridden, §4)
  const inPixels = (layer.inputShape[0] ?? 1) * (layer.inputShape[1] ?? 1);
  const outPixels = (layer.outputShape[0] ?? 1) * (layer.outputShape[1] ?? 1);
  const fact = cpConvFlops({ cin, rank, cout, kh, kw }, inPixels, outPixels);
  const dense = denseFlops(kh, kw, cin, cout, outPixels);
  const flops = mode === 'factorized' ? fact : mode === 'reconstructed' ? dense : Math.min(fact, dense);
  return { className: CPConv2D.className, config, weights, params, flops };
}

/** The layer factory of the plugin. */
export const cpLayers: LayerFactory = {
  kinds: ['conv2d'],
  classNames: [CPConv2D.className],
  register: () => registerLayerClasses([CPConv2D]),
  fromFactors: cpLayerFromFactors,
};
