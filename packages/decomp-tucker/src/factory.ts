/**
 * The Tucker layer factory: a factorized layer spec from a dense layer, its Tucker factors and
 * its plan entry — what model surgery places into the rebuilt model.
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
  tensorize,
  threeStageFlops,
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
import { registerTuckerLayers, Tucker2Conv2D, TuckerDense } from './layers.js';
import { tuckerOptionsFromTarget } from './projector.js';
import { tucker, validateTuckerFactors } from './tucker.js';

/**
 * A {@link Tucker2Conv2D} or {@link TuckerDense} spec equivalent to `layer` with the Tucker
 * `factors` of its tensorized kernel (tensorized with `target.layout`). The forward mode comes
 * from the plan option `forwardMode` (default 'auto'; core's `forwardModeOf`).
 */
export function tuckerLayerFromFactors(layer: DenseLayerInfo, factors: Factors, target: LayerTarget): FactorizedLayerSpec {
  const layout = target.layout;
  validateLayout(layout, layer.name);
  const args = factorizedLayerArgs(layer, target); // checks that the layout describes the layer
  const want = layoutModes(layout);
  if (factors.shape.length !== want.length || factors.shape.some((s, i) => s !== want[i])) {
    fail(
      ErrorCodes.SHAPE,
      `${layer.name}: the factors decompose a tensor of shape [${factors.shape.join(', ')}], the layout gives [${want.join(', ')}]`,
      'decompose the kernel tensorized with the same layout (core tensorize(kernel, target.layout))',
    );
  }
  const { modes, ranks } = validateTuckerFactors(factors);
  const { cin, cout, kh, kw } = layoutDims(layout);
  const mode = args.mode ?? 'auto';
  const common = { ...args, outModes: [...layout.outModes], inModes: [...layout.inModes], modes, ranks };
  const weights: DenseTensor[] = [factors.cores[0]!, ...factors.cores.slice(1)];
  const bias = factorizedBias(layer, args);
  if (bias) weights.push(bias);
  const params = weights.reduce((s, w) => s + w.data.length, 0);
  if (layer.kind === 'conv2d') {
    const config = common as typeof common & FactorizedConv2DArgs; // factorizedLayerArgs gives the conv geometry for a conv2d layer
    const probe = new Tucker2Conv2D(config);
    const inPixels = (layer.inputShape[0] ?? 1) * (layer.inputShape[1] ?? 1);
    const outPixels = (layer.outputShape[0] ?? 1) * (layer.outputShape[1] ?? 1);
    const f = threeStageFlops(probe.stageSizes(), inPixels, outPixels);
    const d = denseFlops(kh, kw, cin, cout, outPixels);
    return { className: Tucker2Conv2D.className, config: { ...config }, weights, params, flops: flopsForMode(mode, f, d) };
  }
  const probe = new TuckerDense(common);
  const f = threeStageFlops(probe.stageSizes(), 1, 1);
  return { className: TuckerDense.className, config: common, weights, params, flops: flopsForMode(mode, f, cin * cout) };
}

/**
 * Decomposes a dense layer's kernel with its plan entry (ranks, `options.modes`, HOOI options)
 * and returns the Tucker layer spec that replaces it.
 */
export function tuckerLayerFromDense(layer: DenseLayerInfo, target: LayerTarget): FactorizedLayerSpec {
  const t = tensorize(layer.kernel, target.layout);
  const f = tucker(t, target.ranks, tuckerOptionsFromTarget(target));
  return tuckerLayerFromFactors(layer, f, target);
}

/** The layer factory of the Tucker plugin. */
export const tuckerLayers: LayerFactory = {
  kinds: ['conv2d', 'dense'],
  classNames: [Tucker2Conv2D.className, TuckerDense.className],
  register: registerTuckerLayers,
  fromFactors: tuckerLayerFromFactors,
};
