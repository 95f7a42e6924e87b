/**
 * The compress report: its derived numbers, its Markdown page, and its writer, which writes every
 * file through io's durable `writeFileAtomic` (whose fsyncs and renames io's own tests check).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DataSource } from '@tensorslim/core';
import { buildMethodResult, buildReport, reportMarkdown, writeReport, type ReportSettings } from '../src/index.js';

const written = vi.hoisted(() => ({ paths: [] as string[] }));

vi.mock('@tensorslim/io', async (importOriginal) => {
  const real = await importOriginal<typeof import('@tensorslim/io')>();
  const writeFileAtomic: typeof real.writeFileAtomic = async (path, ...rest) => (written.paths.push(String(path)), real.writeFileAtomic(path, ...rest));
  return { ...real, writeFileAtomic };
});

const tmp = mkdtempSync(join(tmpdir(), 'report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The settings a report prints, with one field a report does not know (stored as given). */
const settings: ReportSettings & { readonly weightDecay: number } = {
  pretrainEpochs: 0,
  admmEpochs: 2,
  admmLr: 0.1,
  finetuneEpochs: 1,
  finetuneLr: 0.005,
  rho: 1e-3,
  rhoSchedule: null,
  updateEvery: 'epoch',
  momentum: 0.9,
  batchSize: 128,
  seed: 1,
  weightDecay: 5e-4,
};
const evaluation = { loss: 0.5, accuracy: 0.75, examples: 8 };
const layer = {
  name: 'fc1',
  format: 'tt',
  className: 'TTDense',
  modes: [4, 6, 3, 4],
  ranks: [1, 3, 1],
  paramsBefore: 288,
  paramsAfter: 108,
  flopsBefore: 288,
  flopsAfter: 144,
  relError: 0.1,
  trainedError: 0.125,
};

function report() {
  const admm = buildMethodResult(
    'admm',
    { layers: [layer], trained: evaluation, afterDecompose: evaluation, final: evaluation, paramsBefore: 400, paramsAfter: 220, modelDir: null },
    settings,
  );
  const data = { name: 'synthetic', trainSize: 16, valSize: 8, inputShape: [12], numClasses: 4 } as unknown as DataSource;
  return buildReport({
    backend: 'cpu',
    threads: 1,
    data,
    plan: { version: 1, layers: {} },
    settings,
    dense: { evaluation, params: 400 },
    admm,
    baseline: null,
    continued: null,
    admmHistory: [
      { update: 1, step: 4, epoch: 0, rho: 1e-3, nextRho: 1e-3, primal: 0.02, dual: 0.001, layers: [{ name: 'fc1', primal: 0.02, dual: 0.001 }], ms: 1 },
    ],
    epochs: [{ phase: 'admm', epoch: 0, trainLoss: 0.6, trainAccuracy: 0.7, valLoss: 0.5, valAccuracy: 0.75, lr: 0.1, rho: 0.001, ms: 3 }],
    phaseMs: { admm: 3, finetune: 2 },
    stoppedEarly: false,
  });
}

describe('buildMethodResult / buildReport', () => {
  it('sums the layers, derives the ratios and the epoch budget, and keeps the settings as given', () => {
    const r = report();
    expect(r.admm.layerParamsBefore).toBe(288);
    expect(r.admm.layerParamsAfter).toBe(108);
    expect(r.admm.compressionRatio).toBeCloseTo(288 / 108, 12);
    expect(r.admm.modelCompressionRatio).toBeCloseTo(400 / 220, 12);
    expect(r.admm.flopsAfter).toBe(144);
    expect(r.admm.budget).toEqual({ pretrain: 0, beforeDecompose: 2, beforeDecomposeKind: 'admm', finetune: 1, total: 3 });
    expect(r.totalMs).toBe(5);
    expect(r.settings.weightDecay).toBe(5e-4); // the settings type is the caller's
  });
});

describe('reportMarkdown', () => {
  it('states the arms, the epoch budget, the layers and whether ADMM converged', () => {
    const md = reportMarkdown(report());
    expect(md).toMatch(/^# tensorslim compress report/);
    expect(md).toContain('- ADMM + fine-tune: 2 ADMM + 1 fine-tuning = 3.');
    expect(md).toMatch(/\| fc1 +\| tt +\| 1, 3, 1 +\| +288 \| +108 \| 2\.67× \| +288 \| +144 \| +0\.125 \|/);
    expect(md).toContain('ADMM converged: the final primal residual max ‖W−Z‖/‖W‖ is 0.02 (≤ 0.05).');
  });
});

describe('writeReport', () => {
  it('writes report.json, report.md and every plot, each through core’s writeFileAtomic', async () => {
    const dir = join(tmp, 'report');
    written.paths = [];
    await writeReport(dir, report());
    const files = readdirSync(dir).sort();
    expect(files).toEqual(['accuracy.svg', 'loss.svg', 'report.json', 'report.md', 'residuals.svg']);
    expect(written.paths.sort()).toEqual(files.map((f) => join(dir, f)));
    expect(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).admm.final.accuracy).toBe(0.75);
    expect(readFileSync(join(dir, 'loss.svg'), 'utf8')).toMatch(/^<svg /);
  });
});
