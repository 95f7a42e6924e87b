import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { convPair, factorizedBias, factorizedLayerArgs, forwardModeOf, resolveLayerTarget, type DenseLayerInfo, type LayerTarget } from '../src/index.js';
import { Rng, tensor } from '@tensorslim/linalg';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
};

const rng = new Rng(5);
const convKernel = tensor([3, 2, 4, 6], rng.normalArray(3 * 2 * 4 * 6));
const convTarget = resolveLayerTarget('c', { format: 'x', outModes: [3, 2], inModes: [4], ranks: [2] }, 'conv2d', convKernel.shape);
const convInfo = (config: Record<string, unknown>, extra: Partial<DenseLayerInfo> = {}): DenseLayerInfo => ({
  name: 'c',
  kind: 'conv2d',
  config,
  inputShape: [8, 8, 4],
  outputShape: [4, 4, 6],
  kernel: convKernel,
  ...extra,
});
const denseKernel = tensor([5, 3], rng.normalArray(15));
const denseTarget = resolveLayerTarget('d', { format: 'x', ranks: [2] }, 'dense', denseKernel.shape);
const withOptions = (t: LayerTarget, options: Record<string, unknown>): LayerTarget => ({ ...t, options });

describe('convPair (Keras sizes as pairs)', () => {
  it('a number, [n], [n, m] and absent', () => {
    expect(convPair(3, 1)).toEqual([3, 3]);
    expect(convPair([2], 1)).toEqual([2, 2]);
    expect(convPair([1, 2], 1)).toEqual([1, 2]);
    expect(convPair(undefined, 4)).toEqual([4, 4]);
    expect(convPair(null, 1)).toEqual([1, 1]);
  });
  it('anything else is TS_OPTION naming the layer and key', () => {
    for (const bad of [0, -1, 1.5, [], [0, 1], [1, 2, 3], [1, 2.5], '2', { h: 1 }]) expect(codeOf(() => convPair(bad, 1))).toBe('TS_OPTION');
    expect(() => convPair([1, 0], 1, 'strides', 'conv7')).toThrow(/conv7: strides \[1,0\] is not a positive integer/);
  });
});

describe('forwardModeOf (plan option forwardMode)', () => {
  it('default auto; forwardMode, or mode as the older spelling', () => {
    expect(forwardModeOf(convTarget)).toBe('auto');
    expect(forwardModeOf(withOptions(convTarget, { forwardMode: 'factorized' }))).toBe('factorized');
    expect(forwardModeOf(withOptions(convTarget, { mode: 'reconstructed' }))).toBe('reconstructed');
    expect(forwardModeOf(withOptions(convTarget, { forwardMode: 'auto', mode: 'auto' }))).toBe('auto');
  });
  it('unknown or contradicting values are TS_OPTION', () => {
    expect(codeOf(() => forwardModeOf(withOptions(convTarget, { forwardMode: 'fast' })))).toBe('TS_OPTION');
    expect(codeOf(() => forwardModeOf(withOptions(convTarget, { mode: 1 })))).toBe('TS_OPTION');
    expect(codeOf(() => forwardModeOf(withOptions(convTarget, { forwardMode: 'factorized', mode: 'reconstructed' })))).toBe('TS_OPTION');
  });
});

describe('factorizedLayerArgs (the config shared by every plugin)', () => {
  it('conv: channels and kernel from the layout, geometry from a real Conv2D config', () => {
    const conv = tfl.layers.conv2d({ filters: 6, kernelSize: [3, 2], strides: 2, padding: 'same', activation: 'relu', name: 'c' });
    const cfg = conv.getConfig() as Record<string, unknown>;
    const args = factorizedLayerArgs(convInfo(cfg, { bias: tensor([6], rng.normalArray(6)) }), withOptions(convTarget, { forwardMode: 'factorized' }));
    expect(args).toEqual({
      name: 'c',
      units: 6,
      inputChannels: 4,
      useBias: true,
      activation: 'relu',
      mode: 'factorized',
      kernelSize: [3, 2],
      strides: [2, 2],
      padding: 'same',
      dilationRate: [1, 1],
    });
    // a minimal config: defaults (valid padding, unit strides, no bias without one, linear)
    expect(factorizedLayerArgs(convInfo({ dilationRate: 2 }), convTarget)).toEqual({
      name: 'c',
      units: 6,
      inputChannels: 4,
      useBias: false,
      activation: null,
      mode: 'auto',
      kernelSize: [3, 2],
      strides: [1, 1],
      padding: 'valid',
      dilationRate: [2, 2],
    });
  });
  it('dense: useBias from the config over the bias, serialized activations, trainable: false kept', () => {
    const base: DenseLayerInfo = { name: 'd', kind: 'dense', config: {}, inputShape: [5], outputShape: [3], kernel: denseKernel, bias: tensor([3], [1, 2, 3]) };
    expect(factorizedLayerArgs(base, denseTarget)).toEqual({ name: 'd', units: 3, inputChannels: 5, useBias: true, activation: null, mode: 'auto' });
    const off = factorizedLayerArgs({ ...base, config: { useBias: false, activation: { className: 'tanh', config: {} }, trainable: false } }, denseTarget);
    expect(off).toEqual({ name: 'd', units: 3, inputChannels: 5, useBias: false, activation: 'tanh', mode: 'auto', trainable: false });
    expect('kernelSize' in off).toBe(false);
  });
  it('a layout that does not describe the layer is TS_SHAPE; an unusable config TS_OPTION', () => {
    expect(codeOf(() => factorizedLayerArgs(convInfo({}), denseTarget))).toBe('TS_SHAPE');
    expect(codeOf(() => factorizedLayerArgs(convInfo({}, { kernel: tensor([3, 3, 4, 6], new Float64Array(216)) }), convTarget))).toBe('TS_SHAPE');
    expect(codeOf(() => factorizedLayerArgs(convInfo({ kernelSize: [3, 3] }), convTarget))).toBe('TS_SHAPE');
    const options: Record<string, unknown>[] = [
      { padding: 'causal' },
      { dataFormat: 'channelsFirst' },
      { strides: [2, 0] },
      { dilationRate: 'wide' },
      { kernelSize: 0 },
      { activation: 'gelu' },
      { activation: 7 },
      { useBias: 'yes' },
    ];
    for (const cfg of options) expect([cfg, codeOf(() => factorizedLayerArgs(convInfo(cfg), convTarget))]).toEqual([cfg, 'TS_OPTION']);
    expect(codeOf(() => factorizedLayerArgs(convInfo({}), withOptions(convTarget, { forwardMode: 'fast' })))).toBe('TS_OPTION');
  });
});

describe('factorizedBias', () => {
  const info: DenseLayerInfo = { name: 'd', kind: 'dense', config: {}, inputShape: [5], outputShape: [3], kernel: denseKernel, bias: tensor([3], [1, 2, 3]) };
  it("the layer's bias, zeros when it has none, null without a bias", () => {
    expect(Array.from(factorizedBias(info, { units: 3, inputChannels: 5, useBias: true })!.data)).toEqual([1, 2, 3]);
    const { bias: _b, ...noBias } = info;
    const zeros = factorizedBias(noBias, { units: 3, inputChannels: 5, useBias: true })!;
    expect(zeros.shape).toEqual([3]);
    expect(Array.from(zeros.data)).toEqual([0, 0, 0]);
    expect(factorizedBias(info, { units: 3, inputChannels: 5, useBias: false })).toBeNull();
  });
  it('a bias of another length is TS_SHAPE', () => {
    expect(codeOf(() => factorizedBias(info, { units: 4, inputChannels: 5, useBias: true }))).toBe('TS_SHAPE');
  });
});

describe('flopsForMode / resolveForwardMode', () => {
  it('auto takes the cheaper forward, ties going to the factorized one; forced modes are kept', async () => {
    const { flopsForMode, resolveForwardMode } = await import('../src/index.js');
    expect(flopsForMode('auto', 10, 30)).toBe(10);
    expect(flopsForMode('auto', 40, 30)).toBe(30);
    expect(resolveForwardMode('auto', 30, 30)).toBe('factorized');
    expect(flopsForMode('factorized', 40, 30)).toBe(40);
    expect(flopsForMode('reconstructed', 10, 30)).toBe(30);
  });
});
