import { describe, expect, it } from 'vitest';
import { resolveLayerTarget, tensorize } from '@tensorslim/core';
import { matrix, Rng, svd, tensor, unfold, type DenseTensor } from '@tensorslim/linalg';
import { tuckerProjector } from '@tensorslim/decomp-tucker';
import { allocateCollaborative, collaborativeFlops, collaborativeProjector, type CollabLayer } from '../src/index.js';

function modeRank(t: DenseTensor, mode: number): number {
  const u = unfold(t, mode);
  const s = svd(matrix(u.rows, u.cols, u.data)).s;
  return s.filter((v) => v > 1e-10 * s[0]!).length;
}

describe('collaborative compression', () => {
  it('the composed projection (5 filters pruned ∘ Tucker-2 ranks [4, 3]) lands in both sets', () => {
    const w = tensor([3, 3, 8, 12], new Rng(4).normalArray(3 * 3 * 8 * 12));
    const target = resolveLayerTarget(
      'conv',
      { format: 'collaborative', outModes: [12], inModes: [8], ranks: [4, 3], options: { pruned: 5 } },
      'conv2d',
      w.shape,
    );
    const p = collaborativeProjector(tuckerProjector);
    const z = p.project(w, target);
    // set 1: 5 filters (last axis) are zero to rounding (‖filter‖² < 1e-24·‖Z‖²), the 7 others are not
    const norms = new Array(12).fill(0);
    z.data.forEach((v, i) => (norms[i % 12] += v * v));
    const total = norms.reduce((a, b) => a + b, 0);
    expect(norms.filter((n) => n < 1e-24 * total).length).toBe(5);
    expect(Math.min(...norms.filter((n) => n >= 1e-24 * total))).toBeGreaterThan(1e-3 * total);
    // set 2: Tucker-2 ranks 4 (out) and 3 (in), the spatial mode whole
    const t = tensorize(z, target.layout);
    expect([modeRank(t, 0), modeRank(t, 2)]).toEqual([4, 3]);
    // the zero filters are the 5 of smallest norm in W
    const wn = new Array(12).fill(0);
    w.data.forEach((v, i) => (wn[i % 12] += v * v));
    const smallest = Array.from(wn.keys())
      .sort((a, b) => wn[a] - wn[b])
      .slice(0, 5)
      .sort((a, b) => a - b);
    expect(norms.flatMap((n, i) => (n < 1e-24 * total ? [i] : []))).toEqual(smallest);
    // one sweep is a fixed point: projecting again moves nothing (to rounding)
    const again = p.project(z, target);
    expect(Math.max(...Array.from(z.data, (v, i) => Math.abs(v - again.data[i]!)))).toBeLessThan(1e-9);
    expect(() => p.project(w, { ...target, options: { pruned: 12 } })).toThrow(/0 ≤ pruned < 12/);
  });

  it('the plan optimizer meets the FLOP budget, counting the consumer, and spends it on the less sensitive layer', async () => {
    const layers: CollabLayer[] = [
      { name: 'a', k2: 9, cin: 8, cout: 16, inPixels: 64, outPixels: 64, prunable: true, planned: true },
      { name: 'b', k2: 9, cin: 16, cout: 16, inPixels: 64, outPixels: 64, readsFrom: 'a', prunable: true, planned: true },
      { name: 'fc', k2: 1, cin: 16 * 64, cout: 10, inPixels: 1, outPixels: 1, readsFrom: 'b', prunable: false, planned: false },
    ];
    const dense = 64 * 9 * 8 * 16 + 64 * 9 * 16 * 16 + 1024 * 10;
    expect(collaborativeFlops(layers, {})).toBe(dense);
    // pruning half of a's filters halves b's inputs too
    expect(collaborativeFlops(layers, { a: { prune: 0.5, rank: 1 } })).toBe(64 * 9 * 8 * 8 + 64 * 9 * 8 * 16 + 1024 * 10);
    // a is 100× more sensitive than b
    const loss = (name: string, c: { prune: number; rank: number }) => (name === 'a' ? 100 : 1) * (c.prune + (1 - c.rank));
    const r = await allocateCollaborative(layers, { targetFlops: 0.5, loss });
    expect(r.flops).toBeLessThanOrEqual(0.5 * dense);
    expect(r.flops).toBe(collaborativeFlops(layers, r.choices));
    expect(r.choices['b']!.prune + (1 - r.choices['b']!.rank)).toBeGreaterThan(r.choices['a']!.prune + (1 - r.choices['a']!.rank));
    expect(r.layers['b']!.kept + r.layers['b']!.pruned).toBe(16);
    // pruning only, or rank only: the other ladder held
    const onlyPrune = await allocateCollaborative(layers, { targetFlops: 0.5, loss, rankLadder: [1] });
    expect(Object.values(onlyPrune.choices).every((c) => c.rank === 1)).toBe(true);
    expect(onlyPrune.flops).toBeLessThanOrEqual(0.5 * dense);
    await expect(allocateCollaborative(layers, { targetFlops: 0.01, loss })).rejects.toThrow(/cannot be reached/);
  });
});
