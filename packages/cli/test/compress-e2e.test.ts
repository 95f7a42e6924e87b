import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeCifarFiles } from '@tensorslim/models';
import { lastJson, runCli } from './helpers.js';

interface Evaluation {
  accuracy: number;
  examples: number;
}
interface Report {
  admm: {
    trained: Evaluation;
    afterDecompose: Evaluation;
    final: Evaluation;
    compressionRatio: number;
    layers: { name: string; format: string; paramsAfter: number; paramsBefore: number }[];
  };
  baseline: { final: Evaluation; compressionRatio: number; layers: { name: string; format: string }[] } | null;
  dense: { params: number; evaluation: Evaluation };
  data: { trainSize: number; valSize: number };
  threads: number;
}

const tiny = ['--batch', '8', '--pretrain-epochs', '1', '--admm-epochs', '1', '--finetune-epochs', '1', '--json'];

describe('tensorslim compress end to end (small sizes)', () => {
  // Large enough to learn (3 dense epochs over 512 MNIST images reach ~50% on 128 test images, chance
  // is 10%), small enough to run in ~15 s on wasm. Measured: dense 0.52, ADMM-trained 0.54, after
  // decomposition 0.57, after fine-tuning 0.61; decomposing in a wrong layout gives ~0.1.
  it('compresses the LSTM over MNIST rows with TT, keeping what the dense model learned', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lstm-'));
    const r = await runCli([
      'compress',
      '--model',
      'lstm',
      '--dataset',
      'mnist',
      '--limit',
      '512',
      '--eval-limit',
      '128',
      '--format',
      'tt',
      '--ratio',
      '3',
      '--out',
      out,
      '--backend',
      'wasm',
      '--batch',
      '32',
      '--lr',
      '0.1',
      '--pretrain-epochs',
      '3',
      '--admm-epochs',
      '1',
      '--finetune-epochs',
      '1',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const rep = lastJson<Report>(r.out);
    expect(rep.threads).toBe(1);
    expect(rep.data.trainSize).toBe(512);
    expect(rep.admm.final.examples).toBe(128);
    expect(rep.admm.layers.map((l) => [l.name, l.format])).toEqual([['lstm_input', 'tt']]);
    expect(rep.admm.compressionRatio).toBeGreaterThan(2.5);
    // the dense LSTM learned (4× chance), decomposing the ADMM-trained weights keeps it (a layout or
    // surgery bug drops it to chance), and the fine-tuned compressed model is within 0.1 of the dense one
    expect(rep.dense.evaluation.accuracy).toBeGreaterThan(0.4);
    expect(rep.admm.afterDecompose.accuracy).toBeGreaterThanOrEqual(rep.admm.trained.accuracy - 0.1);
    expect(rep.admm.final.accuracy).toBeGreaterThan(0.4);
    expect(rep.admm.final.accuracy).toBeGreaterThanOrEqual(rep.dense.evaluation.accuracy - 0.1);
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
    const r = await runCli([
      'compress',
      '--model',
      'resnet20',
      '--dataset',
      'cifar10',
      '--data-dir',
      data,
      '--format',
      'tucker',
      '--ratio',
      '2',
      '--baseline',
      '--out',
      out,
      '--backend',
      'wasm',
      '--threads',
      '1',
      ...tiny,
    ]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const rep = lastJson<Report>(r.out);
    // one thread: in process (worker threads start in ~10 s each from the sources; test/threads.test.ts trains on two)
    expect(rep.threads).toBe(1);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/backend \*\*wasm\*\* on 1 thread,/);
    expect(rep.admm.layers.length).toBe(18); // the 3×3 convs of the 9 residual blocks
    expect(rep.admm.compressionRatio).toBeGreaterThan(1.5);
    // the baseline decomposes the same layers at the same ranks, and is saved beside the ADMM model
    expect(rep.baseline!.layers.map((l) => [l.name, l.format])).toEqual(rep.admm.layers.map((l) => [l.name, 'tucker']));
    expect(rep.baseline!.compressionRatio).toBeCloseTo(rep.admm.compressionRatio, 10);
    expect(rep.baseline!.final.examples).toBe(8);
    expect(existsSync(join(out, 'baseline', 'model.json'))).toBe(true);
  });
});
