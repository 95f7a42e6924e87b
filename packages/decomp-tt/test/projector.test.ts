import { describe, expect, it } from 'vitest';
import {
  createRegistry,
  decomposeKernel,
  isTensorslimError,
  layoutModes,
  listPlugins,
  resolveLayerTarget,
  resolvePlugin,
  resolveProjector,
  tensorize,
  type LayerTarget,
} from '@tensorslim/core';
import { relError, type DenseTensor } from '@tensorslim/linalg';
import { ttPlugin as plugin, ttProjector, registerTt as register, ttDecomposition, ttReconstruct, ttSvd } from '../src/index.js';

const projectTt = ttProjector.project;
const ttDecomposeKernel = (w: DenseTensor, t: LayerTarget) => decomposeKernel(ttDecomposition, w, t);
import { randn } from './helpers.js';

function expectCode(f: () => unknown, code: string, msg?: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isTensorslimError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    if (msg) expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error(`expected a ${code} error`);
}

const convTarget = (ranks: unknown): LayerTarget =>
  resolveLayerTarget('conv2', { format: 'tt', outModes: [4, 2], inModes: [2, 3], ranks: ranks as never }, 'conv2d', [3, 3, 6, 8]);

describe('TT projector (ADMM Z-step)', () => {
  it('projects a conv kernel onto TT ranks ≤ the target, in the kernel shape, idempotently', () => {
    const w = randn([3, 3, 6, 8], 1);
    const target = convTarget([1, 3, 5, 4, 2, 1]);
    expect(layoutModes(target.layout)).toEqual([4, 2, 9, 2, 3]);
    const z = projectTt(w, target);
    expect(z.shape).toEqual([3, 3, 6, 8]);
    // the projection equals the reconstruction of the TT-SVD of the tensorized weight
    const f = ttSvd(tensorize(w, target.layout), target.ranks);
    expect(relError(tensorize(z, target.layout), ttReconstruct(f))).toBeLessThan(1e-13);
    // it lies in the set: projecting again changes nothing
    expect(relError(z, projectTt(z, target))).toBeLessThan(1e-10);
    // and it is closer to w than a projection at smaller ranks
    const zSmall = projectTt(w, convTarget([1, 2, 2, 2, 2, 1]));
    expect(relError(w, z)).toBeLessThan(relError(w, zSmall));
  });
  it('dense kernels, rank formulas and the ratio spec', () => {
    const w = randn([12, 10], 2);
    const t = resolveLayerTarget('fc', { format: 'tt', outModes: [5, 2], inModes: [3, 4], ranks: { maxRank: 'min(cin, 3)' } }, 'dense', [12, 10]);
    const f = ttDecomposeKernel(w, t);
    expect(f.shape).toEqual([5, 2, 3, 4]);
    expect(f.ranks).toEqual([1, 3, 3, 3, 1]);
    const z = plugin.projector.project(w, t);
    expect(z.shape).toEqual([12, 10]);
    const tr = resolveLayerTarget('fc', { format: 'tt', outModes: [5, 2], inModes: [3, 4], ranks: { ratio: 2 } }, 'dense', [12, 10]);
    const fr = ttDecomposeKernel(w, tr);
    expect(120 / fr.cores.reduce((a, c) => a + c.data.length, 0)).toBeGreaterThanOrEqual(2);
  });
  it("ranks that do not match the plan's modes → TS_RANK naming the expected length", () => {
    const w = randn([3, 3, 6, 8], 1);
    expectCode(() => projectTt(w, convTarget([1, 3, 3, 1])), 'TS_RANK', /conv2.*TT ranks.*modes \[4, 2, 9, 2, 3\].*needs d\+1 = 6/);
    expectCode(() => projectTt(w, convTarget([2, 3, 3, 3, 3, 1])), 'TS_RANK', /r0 = r5 = 1/);
    expectCode(() => projectTt(w, convTarget([1, 3, -1, 3, 3, 1])), 'TS_RANK');
  });
  it('a kernel whose channels do not factor as the plan says → TS_FACTOR', () => {
    const target = convTarget({ maxRank: 3 });
    expectCode(() => projectTt(randn([3, 3, 5, 8], 1), target), 'TS_FACTOR', /5 input channels.*inModes \[2, 3\] multiply to 6/);
    expectCode(() => projectTt(randn([3, 3, 6, 9], 1), target), 'TS_FACTOR', /9 output channels.*outModes \[4, 2\]/);
    expectCode(() => projectTt(randn([5, 5, 6, 8], 1), target), 'TS_SHAPE', /5×5/);
    expectCode(() => projectTt(randn([6, 8], 1), target), 'TS_SHAPE', /4 dimensions/);
    expectCode(() => resolveLayerTarget('c', { format: 'tt', outModes: [3, 3], inModes: [6], ranks: { maxRank: 2 } }, 'conv2d', [3, 3, 6, 8]), 'TS_FACTOR');
  });
  it('NaN or Inf in a weight → TS_NON_FINITE before any work', () => {
    const w = randn([3, 3, 6, 8], 1);
    w.data[17] = NaN;
    expectCode(() => projectTt(w, convTarget({ maxRank: 3 })), 'TS_NON_FINITE', /conv2: weight contains NaN at flat index 17/);
    w.data[17] = Infinity;
    // checked before the shape: even a weight of the wrong shape reports the Inf
    expectCode(() => projectTt({ shape: [3, 3, 6, 8], data: w.data }, convTarget([1, 2, 1])), 'TS_NON_FINITE', /Inf/);
  });
});

describe('registry', () => {
  it('register() adds the plugin, its projector and layers; resolvable by id', () => {
    const c = createRegistry();
    register(c);
    register(c); // idempotent
    expect(listPlugins(c).map((p) => p.id)).toEqual(['tt']);
    expect(resolvePlugin('tt', c)).toBe(plugin);
    expect(resolveProjector('tt', c)).toBe(plugin.projector);
    const a = randn([4, 5, 6], 3);
    const f = resolvePlugin('tt', c).decomposition.decompose(a, { ranks: [1, 4, 6, 1] });
    expect(plugin.decomposition.paramCount(a.shape, f.ranks)).toBe(4 * 4 + 4 * 5 * 6 + 6 * 6);
    expect(relError(a, plugin.decomposition.reconstruct(f))).toBeLessThan(1e-12);
    expect(plugin.decomposition.resolveRanks([4, 5, 6], { maxRank: 9 })).toEqual([1, 4, 6, 1]);
    expect(plugin.decomposition.rankConvention).toMatch(/d\+1/);
    expect(plugin.layers!.classNames).toEqual(['TTConv2D', 'TTDense']);
  });
});
