/**
 * `tensorslim experiment` as a user runs it: the command hands @tensorslim/experiment the flags of
 * its own `train` and `compress`, so a spec naming another is refused before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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
});
