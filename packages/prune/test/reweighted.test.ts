import { describe, expect, it } from 'vitest';
import { createRegistry, resolveRegularizer } from '@tensorslim/core';
import { tensor } from '@tensorslim/linalg';
import { registerReweighted, reweightedCoefficients, reweightedOptionsOf } from '../src/index.js';

// [In=2, Out=3]: rows are channels, columns filters
const W = tensor([2, 3], Float64Array.from([3, 0.1, -1, 4, 0, 2]));
const t = (options: Record<string, unknown>) => ({
  name: 'fc',
  format: 'reweighted',
  layout: { kind: 'dense' as const, kernelShape: [2, 3], outModes: [3], inModes: [2] },
  ranks: { maxRank: 1 },
  options,
});

describe('the reweighted regularizer: α_g = 1/(‖W_g‖² + ε), c = λα', () => {
  it('filter granularity, against a hand computation', () => {
    // column norms²: 9+16 = 25, 0.01+0 = 0.01, 1+4 = 5; ε = 0.01, λ = 0.5
    // α = [1/25.01, 1/0.02, 1/5.01]; c_i = 0.5·α_{column(i)}
    const c = reweightedCoefficients(W, reweightedOptionsOf(t({ granularity: 'filter', epsilon: 0.01, strength: 0.5 })));
    const a = [0.5 / 25.01, 0.5 / 0.02, 0.5 / 5.01];
    expect(c.shape).toEqual([2, 3]);
    [a[0], a[1], a[2], a[0], a[1], a[2]].forEach((v, i) => expect(c.data[i]).toBeCloseTo(v!, 14));
    // the small filter's penalty weight is 25.01/0.02 ≈ 1250× the large one's
    expect(c.data[1]! / c.data[0]!).toBeCloseTo(1250.5, 9);
  });

  it('channel and weight granularity, and the defaults (weight, ε 1e-3, λ 1e-3)', () => {
    const ch = reweightedCoefficients(W, reweightedOptionsOf(t({ granularity: 'channel', epsilon: 1, strength: 2 })));
    // row norms²: 9 + 0.01 + 1 = 10.01, 16 + 0 + 4 = 20
    [2 / 11.01, 2 / 11.01, 2 / 11.01, 2 / 21, 2 / 21, 2 / 21].forEach((v, i) => expect(ch.data[i]).toBeCloseTo(v, 14));
    const wt = resolveRegularizerFrom().coefficients(W, t({}));
    [9, 0.01, 1, 16, 0, 4].forEach((n, i) => expect(wt.data[i]).toBeCloseTo(1e-3 / (n + 1e-3), 14));
  });

  it('the penalty ½Σc·w² approximates λ/2 × the number of nonzero groups', () => {
    const big = tensor([2, 3], Float64Array.from([3, 1e-4, -1, 4, 0, 2]));
    const c = reweightedCoefficients(big, reweightedOptionsOf(t({ granularity: 'filter', epsilon: 1e-6, strength: 2 })));
    const pen = 0.5 * Array.from(big.data).reduce((s, w, i) => s + c.data[i]! * w * w, 0);
    // filters 0 and 2 count ≈ 1 each, filter 1 (norm² 1e-8) counts 1e-8/(1e-8 + 1e-6) ≈ 0.0099
    expect(pen).toBeCloseTo(25 / (25 + 1e-6) + 1e-8 / (1e-8 + 1e-6) + 5 / (5 + 1e-6), 9);
    expect(pen).toBeGreaterThan(2.0099);
    expect(pen).toBeLessThan(2.01);
  });

  it('bad settings are TS_OPTION naming the layer', () => {
    expect(() => reweightedOptionsOf(t({ epsilon: 0 }))).toThrow(/layer "fc": reweighted epsilon 0/);
    expect(() => reweightedOptionsOf(t({ granularity: 'row' }))).toThrow(/granularity "row"/);
  });
});

function resolveRegularizerFrom() {
  const reg = createRegistry();
  registerReweighted(reg);
  return resolveRegularizer('reweighted', reg);
}
