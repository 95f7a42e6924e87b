import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, isTensorslimError, registerPlugin, registerProjector, type LayerTarget } from '@tensorslim/core';
import { loadModel } from '@tensorslim/io';
import { matrix, svdValues, type DenseTensor } from '@tensorslim/linalg';
import { CheckpointStore, compress, evaluate, resume, type CompressReport, type ProgressEvent } from '@tensorslim/admm';
import { reportMarkdown } from '@tensorslim/report';
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
    const {
      report,
      model: small,
      baselineModel,
    } = await compress(model, data, plan, {
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
    expect(report.epochs.map((e) => e.phase)).toEqual([
      'pretrain',
      'pretrain',
      'pretrain',
      'admm',
      'admm',
      'admm',
      'finetune',
      'finetune',
      'baseline-finetune',
      'baseline-finetune',
    ]);
    expect(report.admmHistory).toHaveLength(3);
    expect(report.dense.evaluation.accuracy).toBeGreaterThan(0.5);
    expect(report.admm.final.accuracy).toBeGreaterThan(0.5);
    // files
    const files = readdirSync(out).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'model.json',
        expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/),
        'baseline',
        'report.json',
        'report.md',
        'loss.svg',
        'accuracy.svg',
        'residuals.svg',
      ]),
    );
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CompressReport;
    expect(json.admm.layers).toHaveLength(2);
    expect(json.baseline!.final.accuracy).toBe(report.baseline!.final.accuracy);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain('| fc1   | lowrank | 3     |');
    expect(md).toMatch(/ADMM \+ fine-tune: final/);
    expect(md).toMatch(/direct \+ fine-tune: final/);
    expect(md).toContain("Compressed layers (2): fc1 (312 → 132 params), fc2 (400 → 96 params); 712 of the model's 780 parameters.");
    expect(md).toContain('![residuals](residuals.svg)');
    for (const f of ['loss.svg', 'accuracy.svg', 'residuals.svg']) expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*<path d="M/);
    // the saved model loads and computes what the returned one computes
    const loaded = await loadModel(out, { container: c });
    const x = tf.tensor2d(
      Array.from({ length: 5 * 12 }, (_, i) => Math.sin(i)),
      [5, 12],
    );
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
    const x = tf.tensor2d(
      Array.from({ length: 4 * 10 }, (_, i) => Math.cos(i * 0.7)),
      [4, 10],
    );
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
      const w0 = model
        .getLayer(name)
        .getWeights()
        .map((t) => Array.from(t.dataSync()));
      const w1 = small
        .getLayer(name)
        .getWeights()
        .map((t) => Array.from(t.dataSync()));
      expect(w1).toEqual(w0);
    }
    expect(weightsOf(model)).toEqual(before); // nothing trained: the dense model is as it was
  });
});

describe('the three arms: ADMM, direct, direct with the same total epochs', () => {
  it('the continued arm trains the dense model for the ADMM epochs at the ADMM lr and batch order without the penalty; each budget is stated', async () => {
    const data = classificationSource(12, 4, 256, 128, 31);
    const model = mlp(12, [24, 16, 4], { softmax: true, seed: 9 });
    const phases: string[] = [];
    const { report, continuedModel } = await compress(
      model,
      data,
      { version: 1, layers: { fc1: { format: 'lowrank', outModes: [24], inModes: [12], ranks: [3] } } },
      {
        container: registry(),
        batchSize: 32,
        pretrainEpochs: 2,
        pretrainLr: 0.05,
        admmEpochs: 2,
        admmLr: 0.05,
        rho: 1e-12, // ADMM's penalty vanishes: its training is then exactly what the continued arm must do
        finetuneEpochs: 1,
        finetuneLr: 0.01,
        baseline: true,
        continuedBaseline: true,
        onEvent: (e: ProgressEvent) => void (e.type === 'phase-start' && phases.push(e.phase)),
      },
    );
    expect(phases).toEqual([
      'pretrain',
      'admm',
      'decompose',
      'finetune',
      'baseline-decompose',
      'baseline-finetune',
      'continued-train',
      'continued-decompose',
      'continued-finetune',
      'report',
    ]);
    expect(report.epochs.map((e) => e.phase)).toEqual([
      'pretrain',
      'pretrain',
      'admm',
      'admm',
      'finetune',
      'baseline-finetune',
      'continued-train',
      'continued-train',
      'continued-finetune',
    ]);
    const dense = report.dense.evaluation.loss;
    const admmTrained = report.admm.trained!.loss;
    const continuedTrained = report.continued!.trained!.loss;
    expect(Math.abs(admmTrained - dense)).toBeGreaterThan(1e-3); // two more epochs of training moved it
    expect(Math.abs(continuedTrained - admmTrained)).toBeLessThan(1e-6);
    expect(report.admm.budget).toEqual({ pretrain: 2, beforeDecompose: 2, beforeDecomposeKind: 'admm', finetune: 1, total: 5 });
    expect(report.baseline!.budget).toEqual({ pretrain: 2, beforeDecompose: 0, beforeDecomposeKind: 'none', finetune: 1, total: 3 });
    expect(report.continued!.budget).toEqual({ pretrain: 2, beforeDecompose: 2, beforeDecomposeKind: 'dense', finetune: 1, total: 5 });
    expect(report.continued!.layers[0]!.trainedError).toBe(report.continued!.layers[0]!.relError);
    const md = reportMarkdown(report);
    expect(md).toContain('- ADMM + fine-tune: 2 dense + 2 ADMM + 1 fine-tuning = 5.');
    expect(md).toContain('- direct + fine-tune: 2 dense + 1 fine-tuning = 3.');
    expect(md).toContain('- direct, same total epochs: 2 dense + 2 dense (continued) + 1 fine-tuning = 5 (lr 0.05, the ADMM batch order, no penalty).');
    expect(md).toMatch(/\| direct, same total epochs: trained, before decomposition +\|/);
    expect(continuedModel).not.toBeNull();
    // the model ends holding the ADMM-trained weights, as documented
    expect((await evaluate(model, data)).loss).toBeCloseTo(admmTrained, 6);
  });

  it('"rel. error vs trained W" is the measured ‖W − Ŵ‖/‖W‖ against the ADMM-trained kernel, not a bound', async () => {
    // the projector keeps one rank more than the decomposition: W − Π(W) and Π(W) − Ŵ are both
    // non-zero (and orthogonal), so adding their norms would overstate the error
    const c = createRegistry();
    const project = (w: DenseTensor, t: LayerTarget) => lowRankPlugin.projector!.project(w, { ...t, ranks: { ranks: [3] } });
    registerPlugin({ ...lowRankPlugin, projector: { id: 'lowrank', project } }, c);
    const data = classificationSource(10, 3, 64, 32, 32);
    const model = mlp(10, [8, 3], { softmax: true, seed: 11 });
    const plan = { version: 1, layers: { fc1: { format: 'lowrank', outModes: [8], inModes: [10], ranks: [2] } } };
    const { report } = await compress(model, data, plan, { container: c, admmEpochs: 1, admmLr: 0.05, rho: 0.1, finetuneEpochs: 0, batchSize: 16 });
    // W: the ADMM-trained kernel (the model holds it afterwards); Ŵ: the rank-2 decomposition of Π(W) = W's best rank-2 approximation
    const s = Array.from(svdValues(matrix(10, 8, model.getLayer('fc1').getWeights()[0]!.dataSync())));
    const real = Math.hypot(...s.slice(2)) / Math.hypot(...s);
    const bound = Math.hypot(...s.slice(3)) / Math.hypot(...s) + s[2]! / Math.hypot(...s);
    expect(bound - real).toBeGreaterThan(0.01); // the two differ enough for the test to tell them apart
    expect(report.admm.layers[0]!.trainedError).toBeCloseTo(real, 5);
  });
});

describe('bad input is refused before training starts', () => {
  const data = classificationSource(10, 3, 64, 32, 23);
  const base = { admmEpochs: 1, finetuneEpochs: 1, batchSize: 16 };

  it('a plan naming a layer the model lacks: the error lists the layers', async () => {
    const steps: ProgressEvent[] = [];
    await expectError(
      compress(
        mlp(10, [8, 3]),
        data,
        { version: 1, layers: { conv9: { format: 'lowrank', ranks: [2] } } },
        { ...base, container: registry(), onEvent: (e) => void steps.push(e) },
      ),
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
      compress(
        mlp(10, [8, 3]),
        data,
        { version: 1, layers: { fc1: { format: 'lowrank', outModes: [8], inModes: [10], ranks: [2, 2] } } },
        { ...base, container: registry(), onEvent },
      ),
      'TS_RANK',
      /layer "fc1"/,
      /modes \[8, 10\]/,
      /exactly one rank/,
    );
    await expectError(
      compress(
        mlp(10, [8, 3]),
        data,
        { version: 1, layers: { fc1: { format: 'lowrank', outModes: [4, 2], inModes: [10], ranks: [2] } } },
        { ...base, container: registry(), onEvent },
      ),
      'TS_RANK',
      /layer "fc1"/,
    );
    await expectError(
      compress(
        mlp(10, [8, 3]),
        data,
        { version: 1, layers: { fc1: { format: 'lowrank', outModes: [3], ranks: [2] } } },
        { ...base, container: registry(), onEvent },
      ),
      'TS_FACTOR',
      /fc1/,
    );
    expect(steps).toEqual([]);
  });

  it('an unknown format lists the registered ones; a projector-only format cannot be decomposed; bad options', async () => {
    const c = registry();
    registerProjector(topKProjector, c);
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'nope', ranks: [2] } } }, { ...base, container: c }),
      'TS_UNKNOWN_FORMAT',
      /lowrank/,
    );
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'topk', ranks: [2] } } }, { ...base, container: c }),
      'TS_UNKNOWN_FORMAT',
      /topk/,
    );
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', ranks: [2] } } }, { ...base, container: c, rho: 0 }),
      'TS_OPTION',
      /rho/,
    );
    await expectError(
      compress(mlp(10, [8, 3]), data, { version: 1, layers: { fc1: { format: 'lowrank', ranks: [2] } } }, { ...base, container: c, admmEpoch: 3 } as never),
      'TS_OPTION',
      /unknown option "admmEpoch"/,
    );
  });
});

describe('reading the loss every N steps (readEvery: what a GPU backend runs with)', () => {
  it('gives the same weights, report numbers, step events and checkpoints as reading every step', async () => {
    const data = classificationSource(10, 3, 200, 64, 31); // 7 batches of 32 per epoch (the last one 8)
    const plan = { version: 1, layers: { fc1: { format: 'lowrank', outModes: [12], inModes: [10], ranks: [2] } } };
    const run = async (readEvery: number) => {
      const events: string[] = [];
      const model = mlp(10, [12, 3], { softmax: true, seed: 8 });
      const r = await compress(model, data, plan, {
        container: registry(),
        batchSize: 32,
        pretrainEpochs: 2,
        admmEpochs: 2,
        updateEvery: 3, // Z/U updates between reads, at steps 3, 6, 9, ...
        finetuneEpochs: 1,
        checkpointDir: tmp(`read${readEvery}`),
        checkpointEvery: 4, // checkpoints at steps the reads do not fall on
        readEvery,
        onEvent: (e: ProgressEvent) => {
          if (e.type === 'step') events.push(`${e.phase} ${e.epoch}:${e.step} ${e.globalStep} ${e.loss}`);
          else if (e.type === 'checkpoint') events.push(`checkpoint ${e.phase} ${e.step}`);
          else if (e.type === 'admm-update') events.push(`update ${e.record.step} ${e.record.primal}`);
          else if (e.type === 'epoch') events.push(`epoch ${e.record.phase} ${e.record.trainLoss} ${e.record.trainAccuracy} ${e.record.valLoss}`);
        },
      });
      const {
        totalMs: _t,
        phaseMs: _p,
        createdAt: _c,
        epochs,
        admmHistory,
        ...rest
      } = r.report as unknown as Record<string, unknown> & {
        epochs: { ms: number }[];
        admmHistory: { ms: number }[];
      };
      const numbers = { ...rest, epochs: epochs.map(({ ms: _m, ...e }) => e), admmHistory: admmHistory.map(({ ms: _m, ...h }) => h) };
      return { events, weights: weightsOf(r.model), numbers };
    };
    const each = await run(1);
    const every5 = await run(5);
    expect(each.events.filter((e) => e.startsWith('checkpoint admm')).length).toBeGreaterThan(2);
    expect(each.events.filter((e) => e.startsWith('update')).length).toBe(4); // 14 ADMM steps: updates at 3, 6, 9, 12
    expect(every5.events).toEqual(each.events);
    expect(every5.weights).toEqual(each.weights);
    expect(JSON.stringify(every5.numbers, (k, v) => (k === 'ms' || k === 'outDir' ? undefined : v))).toBe(
      JSON.stringify(each.numbers, (k, v) => (k === 'ms' || k === 'outDir' ? undefined : v)),
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
      compress(
        model,
        data,
        { version: 1, layers: { fc1: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [2] } } },
        {
          container: c,
          loss: 'mse',
          batchSize: 16,
          admmEpochs: 5,
          admmLr: 50, // diverges within a few steps
          finetuneEpochs: 1,
          checkpointDir: dir,
          checkpointEvery: 1,
        },
      ),
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
      compress(
        mlp(8, [6, 4]),
        data,
        { version: 1, layers: { fc1: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [2] } } },
        { container: c, loss: 'mse', checkpointDir: dir },
      ),
      'TS_CHECKPOINT',
      /already holds a run/,
    );
    // resuming with other settings is refused, naming what differs
    await expectError(
      compress(
        mlp(8, [6, 4], { seed: 7 }),
        data,
        { version: 1, layers: { fc1: { format: 'lowrank', outModes: [6], inModes: [8], ranks: [2] } } },
        {
          container: c,
          loss: 'mse',
          batchSize: 16,
          admmEpochs: 5,
          admmLr: 0.01,
          finetuneEpochs: 1,
          checkpointDir: dir,
          resume: true,
        },
      ),
      'TS_CHECKPOINT',
      /settings\.admmLr/,
    );
  });
});

describe('resume() in process', () => {
  it.each([
    ['baseline-finetune', 9, false],
    ['continued-train', 9, true],
    ['continued-finetune', 5, true],
  ] as const)('a run interrupted in %s continues from its checkpoint to the same weights of every arm', async (phase, crashAt, continuedBaseline) => {
    const c = registry();
    const data = classificationSource(8, 3, 96, 32, 24);
    const plan = { version: 1, layers: { fc1: { format: 'lowrank', outModes: [10], inModes: [8], ranks: [2] } } };
    const settings = {
      batchSize: 16,
      admmEpochs: 2,
      admmLr: 0.05,
      rho: 0.1,
      finetuneEpochs: 2,
      finetuneLr: 0.02,
      baseline: true,
      continuedBaseline,
      checkpointEvery: 4,
    };
    const ref = await compress(mlp(8, [10, 3], { softmax: true, seed: 8 }), data, plan, { ...settings, container: c });
    const dir = tmp('inproc');
    let steps = 0;
    await expect(
      compress(mlp(8, [10, 3], { softmax: true, seed: 8 }), data, plan, {
        ...settings,
        container: c,
        checkpointDir: dir,
        onEvent: (e) => {
          if (e.type === 'step' && e.phase === phase && ++steps === crashAt) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const events: ProgressEvent[] = [];
    const again = await resume(dir, mlp(8, [10, 3], { softmax: true, seed: 99 }), data, { container: c, onEvent: (e) => void events.push(e) });
    const r = events.find((e) => e.type === 'resume');
    expect(r && r.type === 'resume' && r.phase).toBe(phase);
    expect(maxRelDiff(weightsOf(again.model), weightsOf(ref.model))).toBe(0);
    expect(maxRelDiff(weightsOf(again.baselineModel!), weightsOf(ref.baselineModel!))).toBe(0);
    const residuals = (h: typeof ref.report.admmHistory) => h.map((u) => [u.rho, u.primal, u.dual]);
    expect(residuals(again.report.admmHistory)).toEqual(residuals(ref.report.admmHistory));
    expect(again.report.baseline!.final).toEqual(ref.report.baseline!.final);
    expect(again.continuedModel === null).toBe(!continuedBaseline);
    const continued = (m: typeof ref.continuedModel) => (m ? weightsOf(m) : []);
    expect(maxRelDiff(continued(again.continuedModel), continued(ref.continuedModel))).toBe(0);
    expect(again.report.continued).toEqual(ref.report.continued);
  });
});
