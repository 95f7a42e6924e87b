import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeCifarFiles } from '@tensorslim/models';
import { lastJson, runCli } from './helpers.js';

interface Report {
  admm: { final: { accuracy: number }; compressionRatio: number; layers: { name: string; format: string; paramsAfter: number; paramsBefore: number }[] };
  baseline: { final: { accuracy: number } } | null;
  dense: { params: number };
  data: { trainSize: number; valSize: number };
}

const tiny = ['--batch', '8', '--pretrain-epochs', '1', '--admm-epochs', '1', '--finetune-epochs', '1', '--json'];

describe('tensorslim compress end to end (tiny sizes)', () => {
  it('compresses the LSTM over MNIST rows with TT', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lstm-'));
    const r = await runCli(['compress', '--model', 'lstm', '--dataset', 'mnist', '--limit', '16', '--eval-limit', '16', '--format', 'tt', '--ratio', '3', '--out', out, '--backend', 'cpu', ...tiny]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const rep = lastJson<Report>(r.out);
    expect(rep.data.trainSize).toBe(16);
    expect(rep.admm.layers.map((l) => l.format)).toEqual(rep.admm.layers.map(() => 'tt'));
    expect(rep.admm.compressionRatio).toBeGreaterThan(2.5);
    expect(rep.admm.final.accuracy).toBeGreaterThanOrEqual(0);
    for (const f of ['model.json', 'report.json', 'report.md', 'loss.svg', 'residuals.svg']) expect(existsSync(join(out, f))).toBe(true);
    const shard: string = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
    expect(shard).toMatch(/^\.\/weights-[0-9a-f]{16}\.bin$/);
    expect(existsSync(join(out, shard))).toBe(true);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/lstm_input/);
  });

  // ResNet-20 runs on wasm with tensorslim's training kernels: a cpu-backend step takes minutes here.
  it('compresses ResNet-20 over a small CIFAR-format directory with Tucker, with the baseline beside it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'cifar-'));
    await makeCifarFiles(data, { trainRecords: 8, testRecords: 8 });
    const out = mkdtempSync(join(tmpdir(), 'r20-'));
    const r = await runCli(['compress', '--model', 'resnet20', '--dataset', 'cifar10', '--data-dir', data, '--format', 'tucker', '--ratio', '2', '--baseline', '--out', out, '--backend', 'wasm', ...tiny]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const rep = lastJson<Report>(r.out);
    expect(rep.admm.layers.length).toBe(18); // the 3×3 convs of the 9 residual blocks
    expect(rep.admm.compressionRatio).toBeGreaterThan(1.5);
    expect(rep.baseline).not.toBeNull();
    expect(existsSync(join(out, 'baseline', 'model.json'))).toBe(true);
  });
});
