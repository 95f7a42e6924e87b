import { describe, expect, it } from 'vitest';
import { createRegistry, detensorize, resolveLayerTarget, resolveProjector, tensorize } from '@tensorslim/core';
import { matrix, relError, Rng, svd, tensor, unfold, type DenseTensor } from '@tensorslim/linalg';
import { hosvd, registerTucker as register, tuckerReconstruct as reconstructTucker, tuckerProjector } from '../src/index.js';

const tuckerProject = tuckerProjector.project;

/** Numerical rank of the mode-`mode` unfolding (singular values above 1e-10·σ1). */
function modeRank(t: DenseTensor, mode: number): number {
  const u = unfold(t, mode);
  const s = svd(matrix(u.rows, u.cols, u.data)).s;
  return s.filter((v) => v > 1e-10 * s[0]!).length;
}

describe('the Tucker projector (ADMM Z-step)', () => {
  const rng = new Rng(6);
  const w = tensor([3, 3, 8, 12], rng.normalArray(3 * 3 * 8 * 12));
  const target = resolveLayerTarget('conv', { format: 'tucker', outModes: [12], inModes: [8], ranks: [4, 3] }, 'conv2d', w.shape);

  it('conv: Tucker-2 on the channel modes, spatial mode kept whole, in the kernel shape', () => {
    const z = tuckerProject(w, target);
    expect(z.shape).toEqual([3, 3, 8, 12]);
    const t = tensorize(z, target.layout); // [Cout, kh·kw, Cin]
    expect(modeRank(t, 0)).toBe(4);
    expect(modeRank(t, 2)).toBe(3);
    expect(modeRank(t, 1)).toBe(9);
    // idempotent on its own output, and at least as close as the HOSVD
    expect(relError(z, tuckerProject(z, target))).toBeLessThan(1e-10);
    const s = detensorize(reconstructTucker(hosvd(tensorize(w, target.layout), { ranks: [4, 3] }, { modes: [0, 2] })), target.layout);
    expect(relError(w, z)).toBeLessThanOrEqual(relError(w, s) + 1e-12);
  });

  it('options.modes overrides the decomposed modes (here: the spatial mode too)', () => {
    const t2 = { ...target, ranks: { ranks: [4, 2, 3] }, options: { modes: [0, 1, 2] } };
    const z = tensorize(tuckerProject(w, t2), target.layout);
    expect([modeRank(z, 0), modeRank(z, 1), modeRank(z, 2)]).toEqual([4, 2, 3]);
  });

  it('several out/in modes, and a dense layer', () => {
    const t3 = resolveLayerTarget('conv', { format: 'tucker', outModes: [4, 3], inModes: [2, 4], ranks: [2, 3, 2, 3] }, 'conv2d', w.shape);
    const z = tensorize(tuckerProject(w, t3), t3.layout); // [4, 3, 9, 2, 4]
    expect([0, 1, 2, 3, 4].map((m) => modeRank(z, m))).toEqual([2, 3, 9, 2, 3]);
    const d = tensor([20, 15], rng.normalArray(300));
    const td = resolveLayerTarget('fc', { format: 'tucker', outModes: [15], inModes: [20], ranks: [5, 5] }, 'dense', d.shape);
    const zd = tuckerProject(d, td);
    expect(zd.shape).toEqual([20, 15]);
    expect(modeRank(zd, 0)).toBe(5);
  });

  it('is registered under the plugin id, and refuses non-finite weights', () => {
    const c = createRegistry();
    register(c);
    expect(resolveProjector('tucker', c)).toBe(tuckerProjector);
    const bad = tensor(
      w.shape,
      w.data.map((v, i) => (i === 7 ? Infinity : v)),
    );
    expect(() => tuckerProject(bad, target)).toThrow(expect.objectContaining({ code: 'TS_NON_FINITE' }));
    expect(() => tuckerProject(w, { ...target, options: { modes: 'all' } })).toThrow(expect.objectContaining({ code: 'TS_OPTION' }));
    expect(() => tuckerProject(w, { ...target, ranks: { ranks: [4] } })).toThrow(expect.objectContaining({ code: 'TS_RANK' }));
  });
});
