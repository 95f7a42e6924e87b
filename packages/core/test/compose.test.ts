/**
 * Projector composition against sets whose intersection is known: a box and a hyperplane (both
 * convex; alternating projection converges to a point in both), top-k sparsity and a coordinate
 * mask (their composition is exact after one sweep), and the bookkeeping (order, residual, sweeps).
 */
import { describe, expect, it } from 'vitest';
import type { DenseTensor } from '@tensorslim/linalg';
import { composeProjectors, isTensorslimError, type LayerTarget, type Projector } from '../src/index.js';

const target = { name: 'w', format: 'x', layout: {} as LayerTarget['layout'], ranks: { ranks: [] }, options: {} } as unknown as LayerTarget;
const t = (data: number[]): DenseTensor => ({ shape: [data.length], data: Float64Array.from(data) });

/** Clamp every entry to [lo, hi]. */
const box = (lo: number, hi: number): Projector => ({
  id: 'box',
  project: (w) => ({ shape: w.shape, data: w.data.map((v) => Math.min(hi, Math.max(lo, v))) }),
});
/** Onto the hyperplane Σx = s. */
const plane = (s: number): Projector => ({
  id: 'plane',
  project: (w) => {
    const shift = (s - w.data.reduce((a, b) => a + b, 0)) / w.data.length;
    return { shape: w.shape, data: w.data.map((v) => v + shift) };
  },
});
/** Keep the k largest magnitudes. */
const topK = (k: number): Projector => ({
  id: 'topk',
  project: (w) => {
    const order = [...w.data.keys()].sort((a, b) => Math.abs(w.data[b]!) - Math.abs(w.data[a]!));
    const keep = new Set(order.slice(0, k));
    return { shape: w.shape, data: w.data.map((v, i) => (keep.has(i) ? v : 0)) };
  },
});
/** Zero the listed coordinates (a channel mask). */
const mask = (zero: number[]): Projector => ({ id: 'mask', project: (w) => ({ shape: w.shape, data: w.data.map((v, i) => (zero.includes(i) ? 0 : v)) }) });

describe('composeProjectors', () => {
  it('one sweep is the plain composition, applied in order', () => {
    const c = composeProjectors('mask+topk', [mask([0]), topK(2)]);
    // mask first: [0, 3, -1, 2] → top-2 keeps 3 and 2
    expect(Array.from(c.project(t([5, 3, -1, 2]), target).data)).toEqual([0, 3, 0, 2]);
    expect(c.lastSweeps).toBe(1);
    // the other order gives another point (top-2 keeps 5 and 3, then the mask drops 5)
    expect(Array.from(composeProjectors('topk+mask', [topK(2), mask([0])]).project(t([5, 3, -1, 2]), target).data)).toEqual([0, 3, 0, 0]);
  });

  it('alternating sweeps land in both convex sets (box ∩ plane) within the tolerance', () => {
    const c = composeProjectors('box+plane', [box(0, 1), plane(2)], { sweeps: 500, tol: 1e-12 });
    const x = c.project(t([3, -2, 0.5, 4, -1]), target).data;
    expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 10); // in the plane exactly (last part)
    for (const v of x) {
      expect(v).toBeGreaterThanOrEqual(-1e-9); // in the box up to the residual
      expect(v).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(c.lastSweeps).toBeGreaterThan(1);
    expect(c.lastSweeps).toBeLessThan(500);
    expect(c.lastResidual).toBeLessThanOrEqual(1e-12);
    // one sweep alone does not reach the box: the plane's shift pushes entries out of it
    const once = composeProjectors('once', [box(0, 1), plane(2)]).project(t([3, -2, 0.5, 4, -1]), target).data;
    expect(Math.min(...once)).toBeLessThan(-0.01);
  });

  it('stops after the first sweep when the weight is already in every set', () => {
    const c = composeProjectors('fixed', [box(0, 1), plane(2)], { sweeps: 50 });
    expect(Array.from(c.project(t([0.5, 0.5, 1, 0]), target).data)).toEqual([0.5, 0.5, 1, 0]);
    expect(c.lastSweeps).toBe(1);
    expect(c.lastResidual).toBe(0);
  });

  it('refuses no parts, bad sweeps and a part that changes the size', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isTensorslimError(e) ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => composeProjectors('none', []))).toBe('TS_PLUGIN');
    expect(code(() => composeProjectors('bad', [box(0, 1)], { sweeps: 0 }))).toBe('TS_OPTION');
    const shrink: Projector = { id: 'shrink', project: (w) => ({ shape: [1], data: w.data.slice(0, 1) }) };
    expect(code(() => composeProjectors('s', [shrink]).project(t([1, 2]), target))).toBe('TS_SHAPE');
  });
});
