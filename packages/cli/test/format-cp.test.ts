// Format cp (@tensorslim/decomp-cp) is built in: the command reaches it with --format cp, no
// --plugin, like tt, tr and tucker; a model it factorized loads again in a fresh process.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Rng, tensor, writeNpy } from '@tensorslim/linalg';
import { lastJson, runCli } from './helpers.js';

describe('tensorslim with format cp', () => {
  it('decompose --format cp recovers a rank-3 CP tensor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-cli-'));
    const shape = [8, 6, 7];
    const R = 3;
    const rng = new Rng(5);
    const [a, b, c] = shape.map((n) => rng.normalArray(n * R)) as [Float64Array, Float64Array, Float64Array];
    const x = new Float64Array(8 * 6 * 7);
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 6; j++)
        for (let k = 0; k < 7; k++) for (let r = 0; r < R; r++) x[(i * 6 + j) * 7 + k]! += a[i * R + r]! * b[j * R + r]! * c[k * R + r]!;
    writeFileSync(join(dir, 'x.npy'), writeNpy(tensor(shape, x)));
    const r = await runCli(['decompose', '--format', 'cp', '--input', join(dir, 'x.npy'), '--ranks', '3', '--json']);
    expect(r.code, r.err).toBe(0);
    const res = lastJson<{ format: string; ranks: number[]; params: number; relError: number }>(r.out);
    expect(res.format).toBe('cp');
    expect(res.ranks).toEqual([3]);
    expect(res.params).toBe(3 * (8 + 6 + 7));
    expect(res.relError).toBeLessThan(1e-6);
  }, 120_000);

  it('factorize --plan with cp layers writes CPConv2D and CPDense, and inspect loads the model in a fresh process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cp-cli-'));
    const plan = join(dir, 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        version: 1,
        layers: {
          conv2: { format: 'cp', outModes: [16], inModes: [6], ranks: [8] },
          fc2: { format: 'cp', outModes: [12, 7], inModes: [10, 12], ranks: [8] },
        },
      }),
    );
    const out = join(dir, 'fac');
    const r = await runCli(['factorize', '--model', 'lenet5', '--plan', plan, '--out', out, '--backend', 'cpu', '--json']);
    expect(r.code, r.err).toBe(0);
    const s = lastJson<{
      layers: { name: string; format: string; className: string; modes: number[]; ranks: number[]; paramsBefore: number; paramsAfter: number }[];
      before: { params: number };
      after: { params: number };
    }>(r.out);
    expect(s.layers.map((l) => [l.name, l.format, l.className, l.ranks])).toEqual([
      ['conv2', 'cp', 'CPConv2D', [8]],
      ['fc2', 'cp', 'CPDense', [8]],
    ]);
    // R·ΣI_k (λ folded into a factor) plus the bias: conv2 [16, 25, 6] → 8·47 + 16, fc2 [12, 7, 10, 12] → 8·41 + 84
    expect(s.layers.map((l) => l.modes)).toEqual([
      [16, 25, 6],
      [12, 7, 10, 12],
    ]);
    expect(s.layers.map((l) => l.paramsAfter)).toEqual([8 * 47 + 16, 8 * 41 + 84]);
    expect(s.before.params - s.after.params).toBe(s.layers.reduce((d, l) => d + l.paramsBefore - l.paramsAfter, 0));

    const ins = await runCli(['inspect', join(out, 'model.json'), '--backend', 'cpu', '--json']);
    expect(ins.code, ins.err).toBe(0);
    const summary = lastJson<{ summary: { layers: { name: string; className: string; params: number }[]; totalParams: number } }>(ins.out).summary;
    const byName = Object.fromEntries(summary.layers.map((l) => [l.name, l]));
    expect([byName.conv2!.className, byName.fc2!.className]).toEqual(['CPConv2D', 'CPDense']);
    expect([byName.conv2!.params, byName.fc2!.params]).toEqual([8 * 47 + 16, 8 * 41 + 84]);
    expect(summary.totalParams).toBe(s.after.params);
  }, 240_000);
});
