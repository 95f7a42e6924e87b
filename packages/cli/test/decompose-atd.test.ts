import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readNpy, Rng, tensor, writeNpy } from '@tensorslim/linalg';
import { lastJson, runCli } from './helpers.js';

describe('tensorslim decompose --format atd', () => {
  it('writes the factors and the per-sample representations as .npy; --epochs is refused for a weight format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atd-cli-'));
    // 40 samples of 6 × 8 with a planted rank-2 structure
    const rng = new Rng(3);
    const [a, b, c] = [rng.normalArray(80), rng.normalArray(12), rng.normalArray(16)];
    const x = new Float64Array(40 * 48);
    for (let n = 0; n < 40; n++)
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 8; j++) for (let r = 0; r < 2; r++) x[(n * 6 + i) * 8 + j]! += a[n * 2 + r]! * b[i * 2 + r]! * c[j * 2 + r]!;
    writeFileSync(join(dir, 'x.npy'), writeNpy(tensor([40, 6, 8], x)));
    const out = join(dir, 'out');
    const r = await runCli([
      'decompose',
      '--format',
      'atd',
      '--input',
      join(dir, 'x.npy'),
      '--ranks',
      '2',
      '--augment',
      'jitter,scale',
      '--epochs',
      '2',
      '--npy',
      out,
      '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const res = lastJson<{ format: string; ranks: number[]; relError: number }>(r.out);
    expect(res.format).toBe('atd');
    expect(res.ranks).toEqual([2]);
    expect(res.relError).toBeLessThan(0.05);
    const shapes = ['factor-0', 'factor-1', 'factor-2', 'representations'].map((f) => readNpy(new Uint8Array(readFileSync(join(out, `${f}.npy`)))).shape);
    expect(shapes).toEqual([
      [40, 2],
      [6, 2],
      [8, 2],
      [40, 2],
    ]);
    const bad = await runCli(['decompose', '--format', 'tt', '--input', join(dir, 'x.npy'), '--ranks', '1,2,2,1', '--epochs', '2']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/format tt does not read --epochs/);
  }, 120_000);
});
