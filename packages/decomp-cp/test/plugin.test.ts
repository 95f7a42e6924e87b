import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRegistry, detensorize, listPlugins, resolveLayerTarget, resolvePlugin, resolveProjector, tensorize, validatePlugin } from '@tensorslim/core';
import { factorizeModel } from '@tensorslim/surgery';
import { relError, tensor, type DenseTensor } from '@tensorslim/linalg';
import { cpAls, cpProjector, cpPlugin as plugin, cpReconstruct as reconstructCp, registerCp as register } from '../src/index.js';
import { codeOf, cpTensor, randomFactors } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('registry', () => {
  it('registers into a fresh registry and resolves by id', () => {
    validatePlugin(plugin);
    const c = createRegistry();
    expect(codeOf(() => resolvePlugin('cp', c))).toBe('TS_UNKNOWN_FORMAT');
    register(c);
    register(c); // idempotent
    expect(resolvePlugin('cp', c)).toBe(plugin);
    expect(resolveProjector('cp', c)).toBe(cpProjector);
    expect(listPlugins(c).map((p) => p.id)).toEqual(['cp']);
    // another fresh registry does not see it
    expect(codeOf(() => resolvePlugin('cp', createRegistry()))).toBe('TS_UNKNOWN_FORMAT');
    // and the resolved plugin works
    const x = cpTensor(randomFactors([5, 4, 6], 2, 3));
    const p = resolvePlugin('cp', c);
    const f = p.decomposition.decompose(x, { ranks: [2] });
    expect(relError(x, p.decomposition.reconstruct(f))).toBeLessThan(1e-6);
    expect(p.decomposition.paramCount(x.shape, f.ranks)).toBe(2 * 15);
    expect(p.decomposition.rankConvention).toMatch(/one number/);
  });
});

describe('projector', () => {
  const kernelShape = [3, 3, 6, 8];
  const target = resolveLayerTarget('conv', { format: 'cp', outModes: [8], inModes: [6], ranks: [3] }, 'conv2d', kernelShape);

  it('leaves a kernel of CP rank 3 (in the layout) where it is', () => {
    const w = detensorize(cpTensor(randomFactors([8, 9, 6], 3, 17)), target.layout);
    const z = cpProjector.project(w, { ...target, options: { sweeps: 500 } });
    expect(z.shape).toEqual(kernelShape);
    expect(relError(w, z)).toBeLessThan(1e-6);
  });

  it('maps a kernel to its rank-3 CP-ALS approximation', () => {
    const w: DenseTensor = tensor(
      kernelShape,
      Float64Array.from({ length: 432 }, (_, i) => Math.sin(i * 1.7) + Math.cos(i * 0.3)),
    );
    const z = cpProjector.project(w, target);
    const f = cpAls(tensorize(w, target.layout), { ranks: [3] });
    expect(relError(z, detensorize(reconstructCp(f), target.layout))).toBeLessThan(1e-12);
    expect(relError(w, z)).toBeGreaterThan(0.01);
    // z is that rank-3 reconstruction, so it has CP rank ≤ 3
    expect(f.ranks).toEqual([3]);
    expect(f.cores.map((c) => c.shape)).toEqual([[8, 3], [9, 3], [6, 3], [3]]);
  });

  it('rejects non-finite weights and bad ranks', () => {
    const w = tensor(kernelShape);
    w.data[5] = NaN;
    expect(codeOf(() => cpProjector.project(w, target))).toBe('TS_NON_FINITE');
    expect(codeOf(() => cpProjector.project(tensor(kernelShape), { ...target, ranks: { ranks: [2, 2] } }))).toBe('TS_RANK');
  });
});

describe('model surgery with the plugin (core factorizeModel)', () => {
  it('replaces a Conv2D and a Dense by CP layers that compute what the dense ones did', async () => {
    const c = createRegistry();
    register(c);
    const conv = tfl.layers.conv2d({ name: 'conv', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [8, 8, 6] });
    const fc = tfl.layers.dense({ name: 'fc', units: 6 });
    const model = tfl.sequential({ layers: [conv, tfl.layers.flatten(), fc] });
    // kernels of exact CP rank 3 (conv, in the layout [8, 9, 6]) and 4 (dense, modes [3, 2, 16, 8])
    const kc = detensorize(
      cpTensor(randomFactors([8, 9, 6], 3, 1)),
      resolveLayerTarget('conv', { format: 'cp', outModes: [8], inModes: [6], ranks: [3] }, 'conv2d', [3, 3, 6, 8]).layout,
    );
    const fcLayout = resolveLayerTarget('fc', { format: 'cp', outModes: [3, 2], inModes: [16, 8], ranks: [4] }, 'dense', [128, 6]).layout;
    const kd = detensorize(cpTensor(randomFactors([3, 2, 16, 8], 4, 2)), fcLayout);
    const toTf = (t: DenseTensor) =>
      tf.tensor(
        Array.from(t.data).map((v) => 0.3 * v),
        [...t.shape],
        'float32',
      );
    conv.setWeights([toTf(kc), tf.randomNormal([8], 0, 0.1, 'float32', 1)]);
    fc.setWeights([toTf(kd), tf.randomNormal([6], 0, 0.1, 'float32', 2)]);
    const plan = {
      version: 1,
      layers: {
        conv: { format: 'cp', outModes: [8], inModes: [6], ranks: [3], options: { sweeps: 500, forwardMode: 'factorized' } },
        fc: { format: 'cp', outModes: [3, 2], inModes: [16, 8], ranks: { maxRank: 4 }, options: { sweeps: 500 } },
      },
    };
    const res = await factorizeModel(model, plan as never, { container: c });
    expect(res.layers.map((l) => [l.name, l.className, l.ranks])).toEqual([
      ['conv', 'CPConv2D', [3]],
      ['fc', 'CPDense', [4]],
    ]);
    for (const l of res.layers) expect(l.relError).toBeLessThan(1e-6);
    expect(res.layers[0]!.forwardMode).toBe('factorized');
    expect(res.layers[0]!.paramsAfter).toBe(3 * (8 + 9 + 6) + 8);
    const x = tf.randomNormal([7, 8, 8, 6], 0, 1, 'float32', 5);
    const want = model.predict(x) as tf.Tensor;
    const got = res.model.predict(x) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]!).toBeLessThanOrEqual(1e-4);
    // and the factorized model saves and loads
    const loaded = await tfl.models.modelFromJSON({ modelTopology: JSON.parse(res.model.toJSON(null, true) as string) } as never);
    loaded.setWeights(res.model.getWeights());
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from(got.dataSync()));
  });
});
