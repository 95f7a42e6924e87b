/**
 * `tensorslim experiment` as a user runs it: the command hands @tensorslim/experiment the flags of
 * its own `train` and `compress`, so a spec naming another is refused before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli } from './helpers.js';

describe('tensorslim experiment', () => {
  it('refuses a spec with a flag that compress does not have, running nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exp-cli-'));
    const spec = join(dir, 'grid.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'g',
        dataset: 'synthetic',
        grid: { model: ['lenet5'], format: ['tt'], ratio: [3], seed: [1] },
        train: { epochs: 1 },
        compress: { admmEpoch: 1, finetuneEpochs: 1 },
      }),
    );
    const r = await runCli(['experiment', spec, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`tensorslim: error TS_OPTION: ${spec}: "compress" {"admmEpoch":1,"finetuneEpochs":1} is invalid`);
    expect(r.err).toContain('"admmEpoch" is not (compress --help lists them)');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
  it("runs a one-cell grid on synthetic data: the compress cell takes the saved dense model's shape and classes", async () => {
    // before: synthetic data took its shape only from a built-in model name, so every cell (which
    // compresses the saved dense model) failed with "expected ndim=4, found ndim=2"
    const dir = mkdtempSync(join(tmpdir(), 'exp-syn-'));
    const spec = join(dir, 'grid.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'syn',
        dataset: 'synthetic',
        grid: { model: ['lenet5'], format: ['tucker'], ratio: [3], seed: [1] },
        train: { epochs: 1, limit: 64, evalLimit: 32 },
        compress: { admmEpochs: 1, finetuneEpochs: 1, limit: 64, evalLimit: 32 },
      }),
    );
    const out = join(dir, 'out');
    const r = await runCli(['experiment', spec, '--out', out, '--threads', '1'], { timeoutMs: 240_000 });
    expect(r.err).not.toMatch(/ndim/);
    expect(r.code).toBe(0);
    const cell = JSON.parse(readFileSync(join(out, 'cells', 'lenet5-tucker-r3-s1.json'), 'utf8')) as { status?: string; error?: string };
    expect(cell.error).toBeUndefined();
    expect(existsSync(join(out, 'runs', 'lenet5-tucker-r3-s1', 'report.json'))).toBe(true);
  }, 300_000);
});
