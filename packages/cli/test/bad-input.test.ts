import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, truncateSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeCifarFiles, mnistDataDir } from '@tensorslim/models';
import { runCli } from './helpers.js';

/** Exactly one non-empty stderr line that is a tensorslim error (TF.js' banner aside), and a non-zero exit. */
function oneErrorLine(r: { code: number; err: string }): string {
  expect(r.code).not.toBe(0);
  const lines = r.err.split('\n').filter((l) => l.startsWith('tensorslim: error'));
  expect(lines.length).toBe(1);
  return lines[0]!;
}

let tmp = '';
let modelDir = '';
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'bad-'));
  // a small trained-shape model saved by tensorslim, to damage
  modelDir = join(tmp, 'model');
  const r = await runCli(['factorize', '--model', 'lenet5', '--format', 'tt', '--ratio', '3', '--out', modelDir, '--backend', 'cpu', '--json']);
  expect(r.code).toBe(0);
});

describe('bad input: one clear line and a non-zero exit', () => {
  it('unknown model, dataset and format list the known ones', async () => {
    expect(oneErrorLine(await runCli(['inspect', '--model', 'vgg99', '--backend', 'cpu']))).toMatch(/TS_UNKNOWN_NAME.*vgg99.*lenet5.*resnet20.*lstm/);
    expect(oneErrorLine(await runCli(['evaluate', '--model', join(modelDir, 'model.json'), '--dataset', 'imagenet', '--backend', 'cpu']))).toMatch(
      /imagenet.*mnist.*cifar10/,
    );
    const inspect = await runCli(['inspect', '--model', 'lenet5', '--format', 'nope', '--backend', 'cpu', '--json']);
    expect(oneErrorLine(inspect)).toMatch(/TS_UNKNOWN_FORMAT.*nope.*tt, tr, tucker/);
    expect(inspect.out).toBe(''); // no plan for a format that does not exist
    expect(oneErrorLine(await runCli(['inspect', '--model', 'lenet5', '--ratio', '0.5', '--backend', 'cpu']))).toMatch(/TS_OPTION.*--ratio 0\.5/);
    expect(oneErrorLine(await runCli(['factorize', '--model', 'lenet5', '--format', 'nope', '--out', join(tmp, 'x'), '--backend', 'cpu']))).toMatch(
      /TS_UNKNOWN_FORMAT.*nope.*tt, tr, tucker/,
    );
  });

  it('a CIFAR directory missing files names them; a truncated CIFAR or IDX file says so', async () => {
    const cifar = join(tmp, 'cifar');
    await makeCifarFiles(cifar, { trainRecords: 4, testRecords: 4 });
    const files = readdirSync(cifar);
    const victim = files.find((f) => f.includes('batch_3'))!;
    writeFileSync(join(cifar, victim + '.bak'), readFileSync(join(cifar, victim)));
    const { rmSync } = await import('node:fs');
    rmSync(join(cifar, victim));
    expect(
      oneErrorLine(await runCli(['evaluate', '--model', join(modelDir, 'model.json'), '--dataset', 'cifar10', '--data-dir', cifar, '--backend', 'cpu'])),
    ).toMatch(new RegExp(`TS_DATA.*${victim.replace('.', '\\.')}`));
    const cifar2 = join(tmp, 'cifar2');
    await makeCifarFiles(cifar2, { trainRecords: 4, testRecords: 4 });
    truncateSync(join(cifar2, 'test_batch.bin'), 3073 * 2 + 100);
    expect(
      oneErrorLine(await runCli(['evaluate', '--model', join(modelDir, 'model.json'), '--dataset', 'cifar10', '--data-dir', cifar2, '--backend', 'cpu'])),
    ).toMatch(/TS_DATA.*test_batch\.bin/);
    const idx = join(tmp, 'idx');
    mkdirSync(idx);
    const src = await mnistDataDir();
    for (const f of readdirSync(src).filter((f) => /ubyte/.test(f))) writeFileSync(join(idx, f), readFileSync(join(src, f)));
    const images = readdirSync(idx).find((f) => /t10k-images/.test(f))!;
    truncateSync(join(idx, images), 5000);
    expect(
      oneErrorLine(await runCli(['evaluate', '--model', join(modelDir, 'model.json'), '--dataset', 'fashion-mnist', '--data-dir', idx, '--backend', 'cpu'])),
    ).toMatch(/TS_DATA.*t10k-images.*(truncated|short|bytes)/);
  });

  it('a plan for a missing layer lists the layers; ranks that do not fit say which layer', async () => {
    const plan = join(tmp, 'plan.json');
    writeFileSync(plan, JSON.stringify({ version: 1, layers: { fc9: { format: 'tt', ranks: { maxRank: 4 } } } }));
    expect(oneErrorLine(await runCli(['factorize', '--model', 'lenet5', '--plan', plan, '--out', join(tmp, 'y'), '--backend', 'cpu']))).toMatch(
      /TS_PLAN.*fc9.*conv1.*fc1/,
    );
    writeFileSync(plan, JSON.stringify({ version: 1, layers: { fc1: { format: 'tt', outModes: [12, 10], inModes: [20, 20], ranks: [1, 4, 1] } } }));
    expect(oneErrorLine(await runCli(['factorize', '--model', 'lenet5', '--plan', plan, '--out', join(tmp, 'z'), '--backend', 'cpu']))).toMatch(/TS_RANK.*fc1/);
    writeFileSync(plan, JSON.stringify({ version: 1, layers: { fc1: { format: 'tt', outModes: [7, 10], inModes: [20, 20], ranks: { maxRank: 4 } } } }));
    expect(oneErrorLine(await runCli(['factorize', '--model', 'lenet5', '--plan', plan, '--out', join(tmp, 'z'), '--backend', 'cpu']))).toMatch(
      /TS_FACTOR.*fc1.*120/,
    );
  });

  it('a model.json whose shard is missing or short; nothing already in --out is lost by a failed run', async () => {
    const broken = join(tmp, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'model.json'), readFileSync(join(modelDir, 'model.json')));
    const shard: string = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).weightsManifest[0].paths[0];
    expect(oneErrorLine(await runCli(['evaluate', '--model', join(broken, 'model.json'), '--backend', 'cpu']))).toMatch(/TS_MODEL.*weights-[0-9a-f]{16}\.bin/);
    const w = readFileSync(join(modelDir, shard));
    writeFileSync(join(broken, shard), w.subarray(0, w.length - 40));
    expect(oneErrorLine(await runCli(['evaluate', '--model', join(broken, 'model.json'), '--backend', 'cpu']))).toMatch(/TS_MODEL.*short/);
    // a failed factorize into an existing run directory leaves its files as they were
    const before = readFileSync(join(modelDir, 'model.json'), 'utf8');
    const plan = join(tmp, 'plan2.json');
    writeFileSync(plan, JSON.stringify({ version: 1, layers: { nope: { format: 'tt', ranks: { maxRank: 2 } } } }));
    oneErrorLine(await runCli(['factorize', '--model', 'lenet5', '--plan', plan, '--out', modelDir, '--backend', 'cpu']));
    expect(readFileSync(join(modelDir, 'model.json'), 'utf8')).toBe(before);
    expect(existsSync(join(modelDir, shard))).toBe(true);
  });
});
