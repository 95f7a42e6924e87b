import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FormatPlugin, TensorLayout } from '@tensorslim/core';
import { createRegistry, detensorize, registerPlugin } from '@tensorslim/core';
import { Rng } from '@tensorslim/linalg';
import { compress } from '@tensorslim/admm';

// A test may use a real plugin (the package's code never names one). Imported by a computed name
// so that typechecking admm does not need the TT package built (admm does not depend on it).
const TT_PACKAGE = '@tensorslim/decomp-tt';
const { ttPlugin } = (await import(/* @vite-ignore */ TT_PACKAGE)) as { ttPlugin: FormatPlugin };
import { lowRankMatrix, lowRankPlugin, mlp, regressionSource } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ADMM on a regression whose true weight has exact low-rank structure', () => {
  it('drives the primal residual under 1e-3; the decomposed model loses < 1% against the ADMM model', async () => {
    const [d, out, r] = [16, 12, 3];
    const wTrue = lowRankMatrix(d, out, r, 11); // kernel layout [In, Out], rank 3
    const data = regressionSource(wTrue, d, out, 512, 256, 0.05, 12);
    const c = createRegistry();
    registerPlugin(lowRankPlugin, c);
    const model = mlp(d, [out], { bias: false, seed: 4 });
    const plan = { version: 1, layers: { fc1: { format: 'lowrank', outModes: [out], inModes: [d], ranks: [r] } } };
    const { report, model: small } = await compress(model, data, plan, {
      container: c,
      loss: 'mse',
      batchSize: 32,
      admmEpochs: 20,
      admmLr: 0.05,
      rho: 0.05,
      rhoSchedule: { factor: 1.5, every: 1, max: 5 },
      finetuneEpochs: 0,
    });
    const h = report.admmHistory;
    expect(h).toHaveLength(20);
    expect(h[h.length - 1]!.primal).toBeLessThan(1e-3);
    const admmLoss = report.admm.trained!.loss;
    const decomposedLoss = report.admm.afterDecompose.loss;
    expect(admmLoss).toBeLessThan(0.004); // it learned the map: the noise variance is 0.0025
    expect(Math.abs(decomposedLoss - admmLoss) / admmLoss).toBeLessThan(0.01);
    expect(report.admm.layers[0]!.ranks).toEqual([3]);
    expect(report.admm.layers[0]!.paramsAfter).toBe(3 * (16 + 12));
    expect(small.getLayer('fc1').getClassName()).toBe('AdmmTestLowRankDense');
  });

  it('the same with exact TT structure and the TT plugin (through the registry)', async () => {
    const layout: TensorLayout = { kind: 'dense', kernelShape: [16, 12], outModes: [4, 3], inModes: [4, 4] };
    const modes = [4, 3, 4, 4];
    const ranks = [1, 2, 3, 2, 1];
    const rng = new Rng(13);
    const cores = modes.map((n, k) => ({ shape: [ranks[k]!, n, ranks[k + 1]!], data: rng.normalArray(ranks[k]! * n * ranks[k + 1]!) }));
    const t = ttPlugin.decomposition.reconstruct({ format: 'tt', shape: modes, ranks, cores });
    const kernel = detensorize(t, layout); // [In, Out], exact TT ranks [1, 2, 3, 2, 1] in the paper layout
    const scale = Math.sqrt(kernel.data.length) / Math.hypot(...kernel.data);
    const data = regressionSource(
      Float64Array.from(kernel.data, (v) => v * scale),
      16,
      12,
      512,
      256,
      0.05,
      14,
    );
    const c = createRegistry();
    registerPlugin(ttPlugin, c);
    const model = mlp(16, [12], { bias: false, seed: 4 });
    const plan = { version: 1, layers: { fc1: { format: 'tt', outModes: [4, 3], inModes: [4, 4], ranks } } };
    const { report } = await compress(model, data, plan, {
      container: c,
      loss: 'mse',
      batchSize: 32,
      admmEpochs: 20,
      admmLr: 0.05,
      rho: 0.05,
      rhoSchedule: { factor: 1.5, every: 1, max: 5 },
      finetuneEpochs: 0,
    });
    const h = report.admmHistory;
    expect(h[h.length - 1]!.primal).toBeLessThan(1e-3);
    const admmLoss = report.admm.trained!.loss;
    expect(admmLoss).toBeLessThan(0.004);
    expect(Math.abs(report.admm.afterDecompose.loss - admmLoss) / admmLoss).toBeLessThan(0.01);
    expect(report.admm.layers[0]!.ranks).toEqual(ranks);
  });
});
