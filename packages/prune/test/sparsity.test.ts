import { describe, expect, it } from 'vitest';
import { composeProjectors, createRegistry, resolveLayerTarget, resolveProjector } from '@tensorslim/core';
import { tensor, type DenseTensor } from '@tensorslim/linalg';
import { groupNorms2, magnitudeMask, magnitudeProjector, registerMagnitude, sparsityOf } from '../src/index.js';

/** The values of a tensor, −0 read as 0. */
const arr = (t: DenseTensor): number[] => Array.from(t.data, (v) => v + 0);

/** A dense kernel [In=3, Out=4] with known values. */
const W: DenseTensor = tensor([3, 4], Float64Array.from([1, -5, 0.5, 2, -3, 0.1, 4, -0.2, 0.3, 6, -0.4, 1.5]));

describe('magnitude projectors', () => {
  it('weight: keeps the largest |w|, zeroes round(s·n) of them', () => {
    const z = magnitudeProjector({ sparsity: 0.5, granularity: 'weight' }).project(W, {} as never);
    expect(arr(z)).toEqual([0, -5, 0, 2, -3, 0, 4, 0, 0, 6, 0, 1.5]);
    expect(sparsityOf(z)).toBe(0.5);
  });

  it('filter (output column) and channel (input row) by group norm', () => {
    // column norms²: [1+9+0.09, 25+0.01+36, 0.25+16+0.16, 4+0.04+2.25] = [10.09, 61.01, 16.41, 6.29]
    const norms = groupNorms2(W, 'filter');
    [10.09, 61.01, 16.41, 6.29].forEach((v, j) => expect(norms[j]).toBeCloseTo(v, 12));
    const f = magnitudeProjector({ sparsity: 0.5, granularity: 'filter' }).project(W, {} as never);
    expect(arr(f)).toEqual([0, -5, 0.5, 0, 0, 0.1, 4, 0, 0, 6, -0.4, 0]);
    // row norms²: [1+25+0.25+4, 9+0.01+16+0.04, 0.09+36+0.16+2.25] = [30.25, 25.05, 38.5]: drop row 1
    const c = magnitudeProjector({ sparsity: 0.34, granularity: 'channel' }).project(W, {} as never);
    expect(arr(c)).toEqual([1, -5, 0.5, 2, 0, 0, 0, 0, 0.3, 6, -0.4, 1.5]);
  });

  it('conv kernels: filters are the last axis, channels the third', () => {
    const k = tensor(
      [2, 2, 3, 2],
      Float64Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 1 : 2) * ((i >> 1) % 3 === 1 ? 0.1 : 1)),
    );
    const f = magnitudeMask(k, 0.5, 'filter');
    for (let i = 0; i < 24; i++) expect(f.data[i]).toBe(i % 2 === 1 ? 1 : 0);
    const c = magnitudeMask(k, 0.34, 'channel');
    for (let i = 0; i < 24; i++) expect(c.data[i]).toBe(Math.floor(i / 2) % 3 === 1 ? 0 : 1);
  });

  it('is idempotent and a projection (no other mask of that size is closer)', () => {
    const p = magnitudeProjector({ sparsity: 0.5, granularity: 'filter' });
    const z = p.project(W, {} as never);
    expect(arr(p.project(z, {} as never))).toEqual(arr(z));
    const err = (m: number[]) => m.reduce((a, keep, j) => a + (keep ? 0 : [10.09, 61.01, 16.41, 6.29][j]!), 0);
    const best = err([0, 1, 1, 0]);
    for (const m of [
      [1, 1, 0, 0],
      [1, 0, 1, 0],
      [0, 1, 0, 1],
      [1, 0, 0, 1],
      [0, 0, 1, 1],
    ])
      expect(err(m)).toBeGreaterThan(best);
  });

  it('structured pruning keeps one group; bad settings are TS_OPTION / TS_SHAPE', () => {
    const z = magnitudeProjector({ sparsity: 0.99, granularity: 'filter' }).project(W, {} as never);
    expect(arr(z)).toEqual([0, -5, 0, 0, 0, 0.1, 0, 0, 0, 6, 0, 0]);
    expect(() => magnitudeProjector({ sparsity: 1, granularity: 'weight' })).toThrow(/TS_OPTION|sparsity/);
    expect(() => magnitudeProjector({ sparsity: 0.5, granularity: 'block' as never })).toThrow(/granularity "block"/);
    expect(() => magnitudeMask(tensor([4], new Float64Array(4)), 0.5, 'filter')).toThrow(/at least 2 dimensions/);
  });

  it('registered as "magnitude", reading sparsity and granularity from the plan options, and composable', () => {
    const reg = createRegistry();
    registerMagnitude(reg);
    const target = resolveLayerTarget('fc', { format: 'magnitude', ranks: [1], options: { sparsity: 0.5, granularity: 'filter' } }, 'dense', W.shape);
    const z = resolveProjector('magnitude', reg).project(W, target);
    expect(Array.from(z.data).map((v) => v !== 0)).toEqual([false, true, true, false, false, true, true, false, false, true, true, false]);
    expect(() => resolveProjector('magnitude', reg).project(W, { ...target, options: {} })).toThrow(/needs options.sparsity/);
    // filter ∘ weight: the result is in both sets
    const both = composeProjectors('fw', [
      magnitudeProjector({ sparsity: 0.5, granularity: 'filter' }),
      magnitudeProjector({ sparsity: 0.75, granularity: 'weight' }),
    ]);
    const y = both.project(W, target);
    expect(sparsityOf(y)).toBe(0.75);
    expect(arr(y)).toEqual([0, -5, 0, 0, 0, 0, 4, 0, 0, 6, 0, 0]);
  });
});
