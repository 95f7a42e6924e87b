import { describe, expect, it } from 'vitest';
import {
  createRegistry,
  detensorize,
  factorsFromJson,
  factorsToJson,
  resolveLayerTarget,
  resolvePlugin,
  resolveProjector,
  tensorize,
  validatePlugin,
} from '@tensorslim/core';
import { relError, Rng, type DenseTensor } from '@tensorslim/linalg';
import { trPlugin as plugin, registerTr as register, trDecompose, trReconstruct, trSvd } from '../src/index.js';
import { ringTensor, thrown } from './helpers.js';

describe('the TR plugin object', () => {
  it('satisfies the contract and registers under "tr"', () => {
    validatePlugin(plugin);
    const c = createRegistry();
    register(c);
    register(c); // idempotent
    expect(resolvePlugin('tr', c)).toBe(plugin);
    expect(resolveProjector('tr', c)).toBe(plugin.projector);
    expect(plugin.layers!.classNames).toEqual(['TRConv2D', 'TRDense']);
  });

  it('decompose / reconstruct / paramCount / resolveRanks through the contract', () => {
    const A = ringTensor(4, [4, 5, 6, 3], [2, 2, 2, 2]);
    const d = plugin.decomposition;
    const f = d.decompose(A, { ranks: [2, 2, 100, 100] });
    expect(f.format).toBe('tr');
    expect(relError(A, d.reconstruct(f))).toBeLessThan(1e-9);
    expect(d.resolveRanks(A.shape, { ranks: [2, 2, 100, 100] })).toEqual([...f.ranks]);
    expect(d.paramCount(A.shape, [2, 2, 3, 2])).toBe(2 * 4 * 2 + 2 * 5 * 3 + 3 * 6 * 2 + 2 * 3 * 2);
    expect(d.rankConvention).toMatch(/closes on r0/);
    // factors survive JSON
    const back = factorsFromJson(JSON.parse(JSON.stringify(factorsToJson(f))));
    expect(relError(A, d.reconstruct(back))).toBeLessThan(1e-9);
    // formulas in ranks
    expect(d.resolveRanks([4, 5, 6, 3], { ranks: ['2', 'd / 2', 2, 2] })).toEqual([2, 2, 2, 2]);
    // options reach the algorithm
    const g = d.decompose(A, { ranks: [2, 2, 2, 2] }, { alsSweeps: 3 });
    expect(g.meta!.alsSweeps).toBeGreaterThan(0);
  });
});

describe('the projector (ADMM Z-step)', () => {
  const rng = new Rng(12);
  const kernel: DenseTensor = { shape: [3, 3, 4, 6], data: rng.normalArray(3 * 3 * 4 * 6) };
  const target = resolveLayerTarget('conv', { format: 'tr', outModes: [6], inModes: [2, 2], ranks: [2, 2, 3, 2] }, 'conv2d', kernel.shape);

  it('is tensorize → TR-SVD → reconstruct → detensorize, in the kernel layout', () => {
    const z = plugin.projector.project(kernel, target);
    expect(z.shape).toEqual(kernel.shape);
    const manual = detensorize(trReconstruct(trSvd(tensorize(kernel, target.layout), { ranks: [2, 2, 3, 2] })), target.layout);
    expect(relError(manual, z)).toBeLessThan(1e-14);
    const err = relError(kernel, z);
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(1);
  });

  it('honours the startMode option', () => {
    const z = plugin.projector.project(kernel, { ...target, options: { startMode: 1 } });
    const t = tensorize(kernel, target.layout);
    const manual = detensorize(trReconstruct(trSvd(t, { ranks: [2, 2, 3, 2] }, { startMode: 1 })), target.layout);
    expect(relError(manual, z)).toBeLessThan(1e-14);
    expect(relError(plugin.projector.project(kernel, target), z)).toBeGreaterThan(1e-6);
  });

  it('runs ALS sweeps from the plan options and gets closer', () => {
    const z0 = plugin.projector.project(kernel, target);
    const z1 = plugin.projector.project(kernel, { ...target, options: { alsSweeps: 4 } });
    expect(relError(kernel, z1)).toBeLessThan(relError(kernel, z0));
    const f = trDecompose(tensorize(kernel, target.layout), target.ranks, { alsSweeps: 4 });
    expect(relError(detensorize(trReconstruct(f), target.layout), z1)).toBeLessThan(1e-14);
  });

  it('recovers a weight that is already a ring at sufficient ranks', () => {
    const layout = target.layout;
    const w = detensorize(ringTensor(13, [6, 9, 2, 2], [2, 2, 2, 1]), layout);
    const t = { ...target, ranks: { ranks: [2, 2, 100, 100] } };
    expect(relError(w, plugin.projector.project(w, t))).toBeLessThan(1e-9);
  });

  it('refuses NaN weights, wrong kernel shapes and bad options', () => {
    const bad = { shape: kernel.shape, data: kernel.data.slice() };
    bad.data[3] = NaN;
    expect(thrown(() => plugin.projector.project(bad, target)).code).toBe('TS_NON_FINITE');
    expect(thrown(() => plugin.projector.project({ shape: [3, 3, 6, 4], data: kernel.data }, target)).code).toBe('TS_FACTOR'); // channels that do not factor as the plan says
    expect(thrown(() => plugin.projector.project(kernel, { ...target, options: { alsSweeps: 'many' } })).code).toBe('TS_OPTION');
    expect(thrown(() => plugin.projector.project(kernel, { ...target, ranks: { ranks: [2, 2, 2] } })).code).toBe('TS_RANK');
  });
});
