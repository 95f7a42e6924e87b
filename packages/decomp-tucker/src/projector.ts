/**
 * The Tucker projector for ADMM's Z-step: the weight in its TF.js kernel shape → the layout
 * tensor (core's tensorize with `target.layout`) → partial Tucker at the plan's ranks (for a
 * convolution: Tucker-2 on the channel modes, the kh·kw mode kept whole; `options.modes`
 * overrides) → reconstruction → back to the kernel shape.
 *
 * @module
 */
import { assertFinite, detensorize, ErrorCodes, fail, tensorize, type LayerTarget, type Projector } from '@tensorslim/core';
import { type DenseTensor } from '@tensorslim/linalg';
import { defaultChannelModes } from './validate.js';
import { reconstructTucker, tucker, TUCKER_FORMAT, type TuckerOptions } from './tucker.js';

/**
 * The decomposition options a plan entry's `options` carry: `modes` (default: the channel
 * modes of the layout), `method`, `maxSweeps`, `tol`, `svd`.
 */
export function tuckerOptionsFromTarget(target: LayerTarget): TuckerOptions {
  const o = target.options ?? {};
  const modes = o.modes === undefined ? defaultChannelModes(target.layout) : o.modes;
  if (!Array.isArray(modes)) fail(ErrorCodes.OPTION, `${target.name}: options.modes must be a list of mode indices, got ${JSON.stringify(modes)}`);
  const out: Record<string, unknown> = { modes: modes as number[] };
  for (const k of ['method', 'maxSweeps', 'tol', 'svd'] as const) if (o[k] !== undefined) out[k] = o[k];
  return out as TuckerOptions;
}

/** ADMM's Z-step for Tucker: the nearest (HOOI) Tucker tensor at the plan's ranks, in the kernel's shape. */
export function tuckerProject(weight: DenseTensor, target: LayerTarget): DenseTensor {
  assertFinite(weight.data, `the weight of layer ${target.name}`);
  const t = tensorize(weight, target.layout);
  const f = tucker(t, target.ranks, tuckerOptionsFromTarget(target));
  return detensorize(reconstructTucker(f), target.layout);
}

/** The Tucker projector object (registered under the plugin id). */
export const tuckerProjector: Projector = {
  id: TUCKER_FORMAT,
  project: tuckerProject,
};
