/**
 * A crafted model.json whose weightsManifest points outside the model's directory: `tensorslim
 * inspect` prints one `tensorslim: error TS_MODEL: ...` line naming the path and exits non-zero,
 * without reading the file it points at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { saveModel } from '@tensorslim/io';
import { runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'hostile-'));
let json: { weightsManifest: { paths: string[] }[] } & Record<string, unknown>;

beforeAll(async () => {
  // a real model.json (tiny Dense model) whose only fault will be its shard path
  const m = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
  await saveModel(m, join(tmp, 'good'));
  m.dispose();
  json = JSON.parse(readFileSync(join(tmp, 'good', 'model.json'), 'utf8'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes the model.json with `paths` as its shard list into a fresh directory and runs inspect on it. */
async function inspectWith(name: string, path: string) {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: [path] }] }));
  const r = await runCli(['inspect', '--model', join(dir, 'model.json'), '--backend', 'cpu']);
  expect(r.code).not.toBe(0);
  const lines = r.err.split('\n').filter((l) => l.startsWith('tensorslim: error'));
  expect(lines, r.err).toHaveLength(1);
  expect(r.out).toBe('');
  return lines[0]!;
}

describe('tensorslim inspect refuses shard paths that leave the model directory', () => {
  it('"../../etc/passwd": one TS_MODEL line naming the path', async () => {
    expect(await inspectWith('dotdot', '../../etc/passwd')).toMatch(
      /^tensorslim: error TS_MODEL: .*model\.json: weight shard path "\.\.\/\.\.\/etc\/passwd" has a "\.\." segment; it must stay inside the model's directory/,
    );
  });
  it('"/etc/passwd": one TS_MODEL line naming the path', async () => {
    expect(await inspectWith('absolute', '/etc/passwd')).toMatch(
      /^tensorslim: error TS_MODEL: .*model\.json: weight shard path "\/etc\/passwd" is absolute; it must stay inside the model's directory/,
    );
  });
});
