/**
 * The config of a factorized layer built from the dense layer it replaces: what every plugin's
 * layer factory (`LayerFactory.fromFactors`) needs before it adds its own entries (ranks, modes).
 * Reads the original layer's Keras config (geometry, bias, activation, trainable) and the plan
 * entry's forward mode, with one set of checks and error codes for every format.
 *
 * @module
 */
import type { DenseLayerInfo } from '../contracts.js';
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';
import type { LayerTarget } from '../plan.js';
import { layoutDims } from '../tensorize.js';
import { activationNames } from './activations.js';
import type { FactorizedConv2DArgs, FactorizedLayerArgs, ForwardMode } from './factorized-layers.js';

const isPositiveInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;

/**
 * A convolution size as a pair, as Keras writes it: a number `n` is `[n, n]`, `[n]` is `[n, n]`,
 * `[n, m]` stays; `undefined`/`null` is `[dflt, dflt]`.
 *
 * @param v - The config value (`kernelSize`, `strides`, `dilationRate`).
 * @param dflt - The size when `v` is absent.
 * @param what - The config key, for the error message.
 * @param layerName - The layer, for the error message.
 * @returns `[height, width]`.
 * @throws TensorslimError `TS_OPTION` when `v` is anything else (zero, negative or fractional
 *   entries, more than two entries, not a number).
 */
export function convPair(v: unknown, dflt: number, what = 'size', layerName = 'layer'): [number, number] {
  if (v === undefined || v === null) return [dflt, dflt];
  if (isPositiveInt(v)) return [v, v];
  if (Array.isArray(v) && (v.length === 1 || v.length === 2) && v.every(isPositiveInt)) {
    return [v[0] as number, (v[1] ?? v[0]) as number];
  }
  return fail(
    ErrorCodes.OPTION,
    `${layerName}: ${what} ${JSON.stringify(v)} is not a positive integer or a pair of them`,
    `write ${what} as a positive integer n or a pair [n, m]`,
  );
}

/**
 * The forward mode of a planned layer: the plan option `forwardMode` (`mode` is accepted as an
 * older spelling), default `'auto'`. It becomes the factorized layer's config key `mode`.
 *
 * @param target - The resolved plan entry.
 * @throws TensorslimError `TS_OPTION` when the value is not `'factorized'`, `'reconstructed'` or
 *   `'auto'`, or when `forwardMode` and `mode` are both given and differ.
 */
export function forwardModeOf(target: LayerTarget): ForwardMode {
  const { forwardMode, mode: legacy } = target.options;
  if (forwardMode != null && legacy != null && forwardMode !== legacy) {
    fail(
      ErrorCodes.OPTION,
      `${target.name}: options forwardMode "${String(forwardMode)}" and mode "${String(legacy)}" disagree`,
      'give the forward mode once, as forwardMode',
    );
  }
  const m = forwardMode ?? legacy ?? 'auto';
  if (m !== 'auto' && m !== 'factorized' && m !== 'reconstructed') {
    fail(
      ErrorCodes.OPTION,
      `${target.name}: forwardMode ${JSON.stringify(m)} is not factorized, reconstructed or auto`,
      "set the plan option forwardMode to 'factorized', 'reconstructed' or 'auto' (the default)",
    );
  }
  return m;
}

/** A Keras activation entry (a name, or a serialized `{ className }`) as a name; absent → null. */
function activationOf(layerName: string, a: unknown): string | null {
  if (a === undefined || a === null) return null;
  const name = typeof a === 'string' ? a : (a as { className?: unknown }).className;
  if (typeof name !== 'string') {
    return fail(ErrorCodes.OPTION, `${layerName}: activation ${JSON.stringify(a)} is not a Keras activation name`);
  }
  if (!activationNames.includes(name)) {
    fail(ErrorCodes.OPTION, `${layerName}: activation "${name}" is not supported by the factorized layers`, `use one of ${activationNames.join(', ')}`);
  }
  return name;
}

/**
 * The config every factorized layer replacing `layer` shares, before the plugin adds its own
 * entries (ranks, modes, ...): `name`, `units` (Cout), `inputChannels` (Cin), `useBias`,
 * `activation`, `mode` ({@link forwardModeOf}), `trainable: false` when the original had it, and
 * for a convolution `kernelSize`, `strides`, `padding` and `dilationRate` from `layer.config`.
 *
 * The channel counts and kernel size come from `target.layout`, which must describe `layer`:
 * same kind and the same kernel shape as `layer.kernel`. `useBias` is `layer.config.useBias`
 * when the config has it, else whether `layer.bias` is present (see {@link factorizedBias}).
 *
 * @param layer - The dense layer being replaced.
 * @param target - Its resolved plan entry.
 * @returns A {@link FactorizedConv2DArgs} when `layer.kind` is `'conv2d'`, else a
 *   {@link FactorizedLayerArgs}.
 * @throws TensorslimError `TS_SHAPE` when the layout does not describe the layer (kind, kernel
 *   shape, a config `kernelSize` other than the kernel's); `TS_OPTION` for an unusable config
 *   (strides/dilationRate not positive integers, padding other than same/valid, channelsFirst,
 *   an unknown activation, a non-boolean useBias) or forward mode.
 */
export function factorizedLayerArgs(layer: DenseLayerInfo, target: LayerTarget): FactorizedLayerArgs | FactorizedConv2DArgs {
  const { name, config: c } = layer;
  const layout = target.layout;
  if (layout.kind !== layer.kind) fail(ErrorCodes.SHAPE, `${name}: the plan's layout is for a ${layout.kind} layer, the layer is ${layer.kind}`);
  const ks = layer.kernel.shape;
  if (ks.length !== layout.kernelShape.length || ks.some((s, i) => s !== layout.kernelShape[i])) {
    fail(
      ErrorCodes.SHAPE,
      `${name}: kernel [${ks.join(', ')}] differs from the plan's [${layout.kernelShape.join(', ')}]`,
      "resolve the plan entry against this layer's kernel (resolveLayerTarget)",
    );
  }
  if (c.useBias !== undefined && typeof c.useBias !== 'boolean') {
    fail(ErrorCodes.OPTION, `${name}: useBias ${JSON.stringify(c.useBias)} is not true or false`);
  }
  const { cin, cout, kh, kw } = layoutDims(layout);
  const base: FactorizedLayerArgs = {
    name,
    units: cout,
    inputChannels: cin,
    useBias: (c.useBias as boolean | undefined) ?? layer.bias !== undefined,
    activation: activationOf(name, c.activation),
    mode: forwardModeOf(target),
    ...(c.trainable === false ? { trainable: false } : {}),
  };
  if (layer.kind !== 'conv2d') return base;
  if (c.dataFormat === 'channelsFirst') {
    fail(ErrorCodes.OPTION, `${name}: channelsFirst convolutions are not supported`, 'the factorized layers are NHWC (channelsLast, the TF.js default)');
  }
  const padding = c.padding ?? 'valid';
  if (padding !== 'same' && padding !== 'valid') fail(ErrorCodes.OPTION, `${name}: padding ${JSON.stringify(padding)} is not supported (same or valid)`);
  const kernelSize = c.kernelSize == null ? ([kh, kw] as [number, number]) : convPair(c.kernelSize, 1, 'kernelSize', name);
  if (kernelSize[0] !== kh || kernelSize[1] !== kw) {
    fail(ErrorCodes.SHAPE, `${name}: config kernelSize [${kernelSize.join(', ')}] differs from the kernel's ${kh}×${kw}`);
  }
  return {
    ...base,
    kernelSize,
    strides: convPair(c.strides, 1, 'strides', name),
    padding,
    dilationRate: convPair(c.dilationRate, 1, 'dilationRate', name),
  };
}

/**
 * The bias weight of a factorized layer with config `args` (from {@link factorizedLayerArgs}):
 * `layer.bias` when `args.useBias`, zeros when the layer has none, `null` without a bias.
 *
 * @throws TensorslimError `TS_SHAPE` when the bias does not have `args.units` entries.
 */
export function factorizedBias(layer: DenseLayerInfo, args: FactorizedLayerArgs): DenseTensor | null {
  if (!(args.useBias ?? true)) return null;
  const n = args.units;
  const b = layer.bias ?? { shape: [n], data: new Float64Array(n) };
  if (b.data.length !== n) fail(ErrorCodes.SHAPE, `${layer.name}: bias has ${b.data.length} entries for ${n} outputs`);
  return { shape: [n], data: b.data };
}

/**
 * The forward a layer in `mode` runs: `auto` picks the factorized forward unless the
 * reconstructed dense kernel costs fewer multiply-adds. Every factorized layer and factory uses
 * this one rule, so reported FLOPs match what runs.
 */
export function resolveForwardMode(mode: ForwardMode, factorizedFlops: number, denseFlops: number): 'factorized' | 'reconstructed' {
  if (mode !== 'auto') return mode;
  return factorizedFlops <= denseFlops ? 'factorized' : 'reconstructed';
}

/** Multiply-adds per example of the forward `mode` runs (see {@link resolveForwardMode}). */
export function flopsForMode(mode: ForwardMode, factorizedFlops: number, denseFlops: number): number {
  return resolveForwardMode(mode, factorizedFlops, denseFlops) === 'factorized' ? factorizedFlops : denseFlops;
}
