/**
 * Hostile and broken model.json files: shard paths that leave the model's directory, shapes and
 * dtypes that cannot be right. Each is a `TS_MODEL` error that names what is wrong, raised before
 * anything outside the directory is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isTensorslimError } from '@tensorslim/core';
import { loadModel, saveModel } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'tensorslim-hostile-'));
let good = '';
let manifest: { paths: string[]; weights: { name: string; shape: unknown[]; dtype: string; quantization?: unknown }[] }[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  const m = tfl.sequential({ name: 'tiny', layers: [tfl.layers.dense({ name: 'd', units: 3, inputShape: [4], biasInitializer: 'ones' })] });
  good = join(tmp, 'good');
  await saveModel(m, good);
  m.dispose();
  manifest = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8')).weightsManifest;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the good model (shard included) whose model.json is changed by `edit`; returns the error loading it. */
let edited = 0;
async function loadEdited(edit: (m: typeof manifest) => void): Promise<string> {
  const dir = join(tmp, `edited-${++edited}`);
  mkdirSync(dir);
  const json = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
  copyFileSync(join(good, json.weightsManifest[0].paths[0]), join(dir, json.weightsManifest[0].paths[0]));
  edit(json.weightsManifest);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  try {
    (await loadModel(dir)).dispose();
  } catch (e) {
    return isTensorslimError(e) ? `${e.code}: ${e.message}` : `not a TensorslimError: ${String(e)}`;
  }
  return 'loaded';
}

describe('model.json shard paths stay inside the model directory', () => {
  it('absolute paths, drive letters and URL schemes are refused, naming the path', async () => {
    for (const p of ['/etc/passwd', 'C:\\Windows\\win.ini', 'file:///etc/passwd', '\\\\server\\share\\w.bin']) {
      const err = await loadEdited((m) => (m[0]!.paths = [p]));
      expect(err).toMatch(/^TS_MODEL: /);
      expect(err).toContain(`weight shard path "${p}" is absolute; it must stay inside the model's directory`);
    }
  });

  it('".." segments are refused, naming the path, even where the file exists', async () => {
    const up = '../'.repeat(30) + 'etc/passwd'; // reaches /etc/passwd from any depth
    for (const p of ['../../etc/passwd', up, 'sub/../../w.bin', '..\\w.bin', './..']) {
      const err = await loadEdited((m) => (m[0]!.paths = [p]));
      expect(err).toBe(
        `TS_MODEL: ${join(tmp, `edited-${edited}`, 'model.json')}: weight shard path "${p}" has a ".." segment; it must stay inside the model's directory — ` +
          'weightsManifest paths must name files inside the directory of model.json (such as "./group1-shard1of1.bin"); tensorslim reads no weights from elsewhere',
      );
    }
  });

  it('a symbolic link out of the directory is refused; one that stays inside loads', async () => {
    const shard = manifest[0]!.paths[0]!;
    const dir = join(tmp, 'link-out');
    mkdirSync(dir);
    copyFileSync(join(good, 'model.json'), join(dir, 'model.json'));
    copyFileSync(join(good, shard), join(tmp, 'outside.bin'));
    symlinkSync(join(tmp, 'outside.bin'), join(dir, shard));
    const err = await loadModel(dir).then(
      () => 'loaded',
      (e: unknown) => (isTensorslimError(e) ? `${e.code}: ${e.message}` : String(e)),
    );
    expect(err).toBe(
      `TS_MODEL: ${join(dir, 'model.json')}: weight shard "${shard}" is a symbolic link to ${join(tmp, 'outside.bin')}, outside the model's directory — ` +
        'copy the shard into the directory of model.json; tensorslim reads no weights from elsewhere',
    );
    // the same bytes behind a link that stays inside the directory are fine
    unlinkSync(join(dir, shard));
    copyFileSync(join(tmp, 'outside.bin'), join(dir, 'real.bin'));
    symlinkSync('real.bin', join(dir, shard));
    const m = await loadModel(dir);
    expect(Array.from(m.getLayer('d').getWeights()[1]!.dataSync())).toEqual([1, 1, 1]);
    m.dispose();
  });
});

describe('model.json weight entries: shapes of non-negative integers, known dtypes', () => {
  it('a negative, fractional, non-numeric or impossibly large dimension names the weight and its shape', async () => {
    for (const [shape, shown] of [
      [[-4, -3], '[-4,-3]'],
      [[4, 2.5], '[4,2.5]'],
      [['4', 3], '["4",3]'],
      [[4, null], '[4,null]'],
    ] as const) {
      const err = await loadEdited((m) => (m[0]!.weights[0]!.shape = [...shape]));
      expect(err).toMatch(
        new RegExp(
          `^TS_MODEL: .*model\\.json: weight d/kernel \\(weightsManifest group 1\\) has shape ${shown.replace(/[[\].]/g, '\\$&')}: every dimension must be a non-negative integer$`,
        ),
      );
    }
    expect(await loadEdited((m) => (m[0]!.weights[0]!.shape = [2 ** 40, 2 ** 40]))).toMatch(
      /weight d\/kernel .* has shape \[1099511627776,1099511627776\], whose 1\.2\d+e\+24 values no file can hold/,
    );
  });

  it('a shape whose product does not match the shard bytes says expected vs actual', async () => {
    expect(await loadEdited((m) => (m[0]!.weights[0]!.shape = [4, 4]))).toMatch(
      /^TS_MODEL: weight group 1 of .*holds 60 bytes, its 2 weights need 76 — 16 bytes short/,
    );
  });

  it('an unknown dtype or quantization dtype is refused, listing the supported ones', async () => {
    for (const dtype of ['float64', 'string', 'uint8', 'complex64']) {
      expect(await loadEdited((m) => (m[0]!.weights[0]!.dtype = dtype))).toMatch(
        new RegExp(
          `^TS_MODEL: .*weight d/kernel \\(weightsManifest group 1\\) has dtype "${dtype}" — supported: float32, int32, bool; quantized uint8, uint16, float16$`,
        ),
      );
    }
    expect(await loadEdited((m) => (m[0]!.weights[0]!.quantization = { dtype: 'int8', scale: 1, min: 0 }))).toMatch(
      /weight d\/kernel .* has quantization dtype "int8" — supported: uint8, uint16, float16$/,
    );
    expect(await loadEdited((m) => (m[0]!.weights[0]!.quantization = { dtype: 'uint8' }))).toMatch(
      /weight d\/kernel .* is quantized to uint8 without numeric "scale" and "min"/,
    );
  });
});
