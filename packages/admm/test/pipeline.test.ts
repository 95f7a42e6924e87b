import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, isTensorslimError, loadModel, registerPlugin, registerProjector } from '@tensorslim/core';
import { CheckpointStore, compress, resume, type CompressReport, type ProgressEvent } from '@tensorslim/admm';
import { classificationSource, lowRankMatrix, lowRankPlugin, maxRelDiff, mlp, regressionSource, topKProjector, weightsOf } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), `admm-${p}-`));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const registry = () => {
  const c = createRegistry();
  registerPlugin(lowRankPlugin, c);
  return c;
};

async function expectError(p: Promise<unknown>, code: string, ...texts: (string | RegExp)[]): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(isTensorslimError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    for (const t of texts) expect(String((e as Error).message)).toMatch(t);
    return (e as Error).message;
  }
  return expect.unreachable('no error thrown');
}

describe('compress: ADMM → decompose → fine-tune → evaluate → save + report, with the baseline', () => {
  it('runs end to end and writes a model that loads, report.json, report.md and SVG plots', async () => {
    const c = registry();
    const data = classificationSource(12, 4, 256, 128, 21);
    const model = mlp(12, [24, 16, 4], { softmax: true, seed: 5 });
    const out = tmp('out');
    const phases: string[] = [];
    const plan = {
      version: 1,
      layers: {
        fc1: { format: 'lowrank', outModes: [24], inModes: [12], ranks: [3] },
        fc2: { format: 'lowrank', outModes: [16], inModes: [24], ranks: [2] },
      },
    };
    const { report, model: small, baselineModel } = await compress(model, data, plan, {
      container: c,
      batchSize: 32,
      pretrainEpochs: 3,
      pretrainLr: 0.05,
      admmEpochs: 3,
      admmLr: 0.05,
      rho: 0.1,
      finetuneEpochs: 2,
      finetuneLr: 0.01,
      labelSmoothing: 0.1,
      baseline: true,
      outDir: out,
      onEvent: (e: ProgressEvent) => void (e.type === 'phase-start' && phases.push(e.phase)),
    });
    expect(phases).toEqual(['pretrain', 'admm', 'decompose', 'finetune', 'baseline-decompose', 'baseline-finetune', 'report']);
    // per-layer numbers (independently: dense params = in·out + out; low-rank = r(in + out) + out)
    expect(report.admm.layers.map((l) => [l.name, l.format, l.ranks, l.paramsBefore, l.paramsAfter])).toEqual([
      ['fc1', 'lowrank', [3], 12 * 24 + 24, 3 * 36 + 24],
      ['fc2', 'lowrank', [2], 24 * 16 + 16, 2 * 40 + 16],
    ]);
    expect(report.admm.compressionRatio).toBeCloseTo((312 + 400) / (132 + 96), 10);
    expect(report.admm.flopsBefore).toBe(12 * 24 + 24 * 16);
    expect(report.dense.params).toBe(312 + 400 + 16 * 4 + 4);
    expect(report.admm.paramsAfter).toBe(132 + 96 + 68);
    expect(report.baseline).not.toBeNull();
    expect(report.baseline!.layers.map((l) => l.paramsAfter)).toEqual([132, 96]);
    expect(report.epochs.map((e) => e.phase)).toEqual(['pretrain', 'pretrain', 'pretrain', 'admm', 'admm', 'admm', 'finetune', 'finetune', 'baseline-finetune', 'baseline-finetune']);
    expect(report.admmHistory).toHaveLength(3);
    expect(report.dense.evaluation.accuracy).toBeGreaterThan(0.5);
    expect(report.admm.final.accuracy).toBeGreaterThan(0.5);
    // files
    const files = readdirSync(out).sort();
    expect(files).toEqual(expect.arrayContaining(['model.json', 'weights.bin', 'baseline', 'report.json', 'report.md', 'loss.svg', 'accuracy.svg', 'residuals.svg']));
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompressReport;
    expect(json.admm.layers).toHaveLength(2);
    expect(json.baseline!.final.accuracy).toBe(report.baseline!.final.accuracy);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('| fc1   | lowrank | 3     |');
    expect(md).toMatch(/ADMM: fine-tuned/);
    expect(md).toMatch(/baseline \(direct decomposition\): fine-tuned/);
    expect(md).toContain('![residuals](residuals.svg)');
    for (const f of ['loss.svg', 'accuracy.svg', 'residuals.svg']) expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<path d="M/);
    // the saved model loads and computes what the returned one computes
    const loaded = await loadModel(out, { container: c });
    const x = tf.tensor2d(Array.from({ length: 5 * 12 }, (_, i) => Math.sin(i)), [5, 12]);
    const a = (small.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(b.length).toBe(5 * 4);
    expect(a.length).toBe(b.length);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    expect(baselineModel).not.toBeNull();
    expect(existsSync(join(out, 'baseline', 'model.json'))).toBe(true);
  });

  it('decomposing at full rank keeps the function (≤ 1e-4); unplanned layers keep their weights bit for bit', async () => {
    const c = registry();
    const data = classificationSource(10, 3, 64, 32, 22);
    const model = mlp(10, [8, 6, 3], { softmax: true, seed: 6 });
    const before = weightsOf(model);
    const x = tf.tensor2d(Array.from({ length: 4 * 10 }, (_, i) => Math.cos(i * 0.7)), [4, 10]);
    const yDense = (model.predict(x) as tf.Tensor).dataSync();
    const { model: small, report } = await compress(
      model,
      data,
      { version: 1, layers: { fc2: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [6] } } },
      { container: c, admmEpochs: 0, finetuneEpochs: 0, batchSize: 16 },
    );
    expect(report.admm.layers[0]!.relError).toBeLessThan(1e-6);
    const ySmall = (small.predict(x) as tf.Tensor).dataSync();
    yDense.forEach((v, i) => expect(Math.abs(ySmall[i]! - v)).toBeLessThanOrEqual(1e-4));
    for (const name of ['fc1', 'fc3']) {
      const w0 = model.getLayer(name).getWeights().map((t) => Array.from(t.dataSync()));
      const w1 = small.getLayer(name).getWeights().map((t) => Array.from(t.dataSync()));
      expect(w1).toEqual(w0);
    }
    expect(weightsOf(model)).toEqual(before); // nothing trained: the dense model is as it was
  });
});

describe('bad input is refused before training starts', () => {
  const data = classificationSource(10, 3, 64, 32, 23);
  const base = { admmEpochs: 1, finetuneEpochs: 1, batchSize: 16 };

  it('a plan naming a layer the model lacks: the error lists the layers', async () => {
    const steps: ProgressEvent[] = [];
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { conv9: { format: 'lowrank', ranks: [2] } } }, { ...base, container: registry(), onEvent: (e) => void steps.push(e) }),
      'TS_PLAN',
      /conv9/,
      /fc1, fc2/,
    );
    expect(steps).toEqual([]);
  });

  it('ranks that do not fit a layer name the layer and its modes', async () => {
    const steps: ProgressEvent[] = [];
    const onEvent = (e: ProgressEvent) => void steps.push(e);
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', outModes: [8], inModes: [10], ranks: [2, 2] } } }, { ...base, container: registry(), onEvent }),
      'TS_RANK',
      /layer "fc1"/,
      /modes \[8, 10\]/,
      /exactly one rank/,
    );
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', outModes: [4, 2], inModes: [10], ranks: [2] } } }, { ...base, container: registry(), onEvent }),
      'TS_RANK',
      /layer "fc1"/,
    );
    await expectError(compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', outModes: [3], ranks: [2] } } }, { ...base, container: registry(), onEvent }), 'TS_FACTOR', /fc1/);
    expect(steps).toEqual([]);
  });

  it('an unknown format lists the registered ones; a projector-only format cannot be decomposed; bad options', async () => {
    const c = registry();
    registerProjector(topKProjector, c);
    await expectError(compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'nope', ranks: [2] } } }, { ...base, container: c }), 'TS_UNKNOWN_FORMAT', /lowrank/);
    await expectError(compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'topk', ranks: [2] } } }, { ...base, container: c }), 'TS_UNKNOWN_FORMAT', /topk/);
    await expectError(compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', ranks: [2] } } }, { ...base, container: c, rho: 0 }), 'TS_OPTION', /rho/);
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', ranks: [2] } } }, { ...base, container: c, admmEpoch: 3 } as never),
      'TS_OPTION',
      /unknown option "admmEpoch"/,
    );
  });
});

describe('non-finite loss', () => {
  it('stops, keeps the last good checkpoint and says so', async () => {
    const c = registry();
    const data = regressionSource(lowRankMatrix(8, 4, 2, 1), 8, 4, 128, 32, 0.1, 2);
    const dir = tmp('div');
    const model = mlp(8, [6, 4], { seed: 7 });
    const msg = await expectError(
      compress(model, data, { version: 1, layers: { fc1: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [2] } } }, {
        container: c,
        loss: 'mse',
        batchSize: 16,
        admmEpochs: 5,
        admmLr: 50, // diverges within a few steps
        finetuneEpochs: 1,
        checkpointDir: dir,
        checkpointEvery: 1,
      }),
      'TS_DIVERGED',
      /diverged in phase admm/,
      /last good checkpoint is .*ckpt-\d+/,
    );
    const store = new CheckpointStore(dir);
    const latest = store.latest()!;
    expect(msg).toContain(latest.path);
    // the kept checkpoint holds finite weights
    const kept = [...store.readTensors(latest.path).values()];
    expect(kept.length).toBeGreaterThan(0);
    for (const t of kept) expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
    // a run in the same directory without resume is refused (nothing is overwritten)
    await expectError(
      compress(mlp(8, [6, 4]), data, { version: 1, layers: { fc1: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [2] } } }, { container: c, loss: 'mse', checkpointDir: dir }),
      'TS_CHECKPOINT',
      /already holds a run/,
    );
    // resuming with other settings is refused, naming what differs
    await expectError(
      compress(mlp(8, [6, 4], { seed: 7 }), data, { version: 1, layers: { fc1: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [2] } } }, {
        container: c,
        loss: 'mse',
        batchSize: 16,
        admmEpochs: 5,
        admmLr: 0.01,
        finetuneEpochs: 1,
        checkpointDir: dir,
        resume: true,
      }),
      'TS_CHECKPOINT',
      /settings\.admmLr/,
    );
  });
});

describe('resume() in process', () => {
  it('a run interrupted in the fine-tuning phase continues from its checkpoint to the same weights', async () => {
    const c = registry();
    const data = classificationSource(8, 3, 96, 32, 24);
    const plan = { version: 1, layers: { fc1: { format: 'lowrank', outModes: [10], inModes: [8], ranks: [2] } } };
    const settings = { batchSize: 16, admmEpochs: 2, admmLr: 0.05, rho: 0.1, finetuneEpochs: 2, finetuneLr: 0.02, baseline: true, checkpointEvery: 4 };
    const ref = await compress(mlp(8, [10, 3], { softmax: true, seed: 8 }), data, plan, { ...settings, container: c });
    const dir = tmp('inproc');
    let finetuneSteps = 0;
    await expect(
      compress(mlp(8, [10, 3], { softmax: true, seed: 8 }), data, plan, {
        ...settings,
        container: c,
        checkpointDir: dir,
        onEvent: (e) => {
          if (e.type === 'step' && e.phase === 'baseline-finetune' && ++finetuneSteps === 9) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const events: ProgressEvent[] = [];
    const again = await resume(dir, mlp(8, [10, 3], { softmax: true, seed: 99 }), data, { container: c, onEvent: (e) => void events.push(e) });
    const r = events.find((e) => e.type === 'resume');
    expect(r && r.type === 'resume' && r.phase).toBe('baseline-finetune');
    expect(maxRelDiff(weightsOf(again.model), weightsOf(ref.model))).toBe(0);
    expect(maxRelDiff(weightsOf(again.baselineModel!), weightsOf(ref.baselineModel!))).toBe(0);
    const residuals = (h: typeof ref.report.admmHistory) => h.map((u) => [u.rho, u.primal, u.dual]);
    expect(residuals(again.report.admmHistory)).toEqual(residuals(ref.report.admmHistory));
    expect(again.report.baseline!.final).toEqual(ref.report.baseline!.final);
  });
});
