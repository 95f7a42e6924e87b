/**
 * The CP layer factory: what model surgery calls to turn a dense layer and the CP factors of its
 * tensorized kernel into a {@link CPConv2D} or {@link CPDense}.
 *
 * @module
 */
import {
  denseFlops,
  ErrorCodes,
  factorizedBias,
  factorizedLayerArgs,
  fail,
  layoutDims,
  layoutModes,
  validateLayout,
  type DenseLayerInfo,
  type Factors,
  type FactorizedConv2DArgs,
  type FactorizedLayerSpec,
  type LayerFactory,
  type LayerTarget,
  flopsForMode,
} from '@tensorslim/core';
import { type DenseTensor } from '@tensorslim/linalg';
import { cpConvFlops, CPConv2D, CPDense, registerCpLayers } from './layers.js';
import { validateCpFactors } from './validate.js';

/**
 * The layer weights from CP factors: the d factor matrices in the layout's mode order, with λ
 * folded into the first output-mode factor.
 */
export function cpLayerWeights(factors: Factors): DenseTensor[] {
  const { rank, factors: fs, weights } = validateCpFactors(factors, 'cp layer');
  return fs.map((f, k) => {
    const data = Float64Array.from(f.data);
    if (k === 0) for (let i = 0; i < f.shape[0]!; i++) for (let r = 0; r < rank; r++) data[i * rank + r]! *= weights[r]!;
    return { shape: [...f.shape], data };
  });
}

/**
 * A {@link CPConv2D} or {@link CPDense} spec equivalent to `layer` with the CP `factors` of its
 * kernel tensorized by `target.layout`. Stride, padding, dilation, activation and bias come from
 * the layer and the forward mode from the plan option `forwardMode` (default 'auto'), through
 * core's `factorizedLayerArgs`.
 */
export function cpLayerFromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
  const layout = target.layout;
  validateLayout(layout, layer.name);
  const args = factorizedLayerArgs(layer, target); // the shared config; checks that the layout describes the layer
  const want = layoutModes(layout);
  if (factors.shape.length !== want.length || factors.shape.some((s, i) => s !== want[i])) {
    fail(
      ErrorCodes.SHAPE,
      `${layer.name}: the CP factors are of a tensor of shape [${factors.shape.join(', ')}], the layout gives [${want.join(', ')}]`,
      'decompose the kernel tensorized with the same layout (core tensorize(kernel, target.layout))',
    );
  }
  const { rank } = validateCpFactors(factors, layer.name);
  const { cin, cout, kh, kw } = layoutDims(layout);
  const mode = args.mode ?? 'auto';
  const common = { ...args, rank, outModes: [...layout.outModes], inModes: [...layout.inModes] };
  const weights = cpLayerWeights(factors);
  const bias = factorizedBias(layer, args);
  if (bias) weights.push(bias);
  const params = weights.reduce((s, w) => s + w.data.length, 0);
  if (layer.kind === 'conv2d') {
    const config = { ...(common as typeof common & FactorizedConv2DArgs) }; // conv geometry from factorizedLayerArgs
    new CPConv2D(config); // validates the config now rather than when surgery builds the model
    const inPixels = (layer.inputShape[0] ?? 1) * (layer.inputShape[1] ?? 1);
    const outPixels = (layer.outputShape[0] ?? 1) * (layer.outputShape[1] ?? 1);
    const f = cpConvFlops({ cin, rank, cout, kh, kw }, inPixels, outPixels);
    return { className: CPConv2D.className, config, weights, params, flops: flopsForMode(mode, f, denseFlops(kh, kw, cin, cout, outPixels)) };
  }
  new CPDense(common);
  return { className: CPDense.className, config: common, weights, params, flops: flopsForMode(mode, cin * rank + rank * cout, cin * cout) };
}

/** The layer factory of the CP plugin (conv2d and dense). */
export const cpLayers: LayerFactory = {
  kinds: ['conv2d', 'dense'],
  classNames: [CPConv2D.className, CPDense.className],
  register: () => registerCpLayers(),
  fromFactors(layer, factors, target) {
    return cpLayerFromFactors(layer, factors, target);
  },
};
