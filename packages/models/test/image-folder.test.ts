import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadDataset, loadImageFolder } from '../src/index.js';

/** A w×h PNG filled with one RGB colour. */
export function solidPng(w: number, h: number, rgb: [number, number, number]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set([...rgb, 255], i * 4);
  return PNG.sync.write(p);
}

/**
 * A folder of tiny images: classes "dark" and "light" (4 PNGs + 1 JPEG each), a corrupt PNG, a
 * README.txt, an empty class folder and a normalization.json.
 */
export function makeImageFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ts-folder-'));
  for (const [cls, v] of [
    ['dark', 20],
    ['light', 230],
  ] as const) {
    mkdirSync(join(dir, cls));
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, cls, `${i}.png`), solidPng(6 + i, 5, [v, v, v]));
    const j = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, v) }, 90);
    writeFileSync(join(dir, cls, 'j.jpg'), j.data);
  }
  writeFileSync(join(dir, 'dark', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
  writeFileSync(join(dir, 'light', 'README.txt'), 'not an image');
  mkdirSync(join(dir, 'empty'));
  return dir;
}

describe('image folder dataset', () => {
  it('decodes PNG and JPEG, resizes, splits, and skips a corrupt image, a non-image and an empty class', async () => {
    await tf.setBackend('cpu');
    const dir = makeImageFolder();
    const ds = await loadImageFolder(dir, { inputShape: [4, 4, 1], valFraction: 0.2, seed: 3 });
    expect(ds.classNames).toEqual(['dark', 'light']);
    expect(ds.skipped).toEqual({ corrupt: ['dark/broken.png'], notImages: ['light/README.txt'], emptyClasses: ['empty'] });
    expect(ds.numClasses).toBe(2);
    expect(ds.trainSize + ds.valSize).toBe(10);
    expect(ds.valSize).toBe(2);
    const xs: number[] = [];
    const ys: number[] = [];
    for (const b of ds.trainBatches(16, { epoch: 0, seed: 1 })) {
      expect(b.xs.shape).toEqual([8, 4, 4, 1]);
      xs.push(...(b.xs.dataSync() as Float32Array));
      ys.push(...(tf.argMax(b.ys, -1).dataSync() as Int32Array));
      tf.dispose([b.xs, b.ys]);
    }
    // default normalization pixel/255; solid images stay solid after resizing (JPEG within a few levels)
    for (let i = 0; i < ys.length; i++) {
      const want = ys[i] === 0 ? 20 / 255 : 230 / 255;
      for (const v of xs.slice(i * 16, (i + 1) * 16)) expect(Math.abs(v - want)).toBeLessThan(4 / 255);
    }
  });

  it('normalization from --scale/--offset or normalization.json; RGB inputs', async () => {
    const dir = makeImageFolder();
    writeFileSync(join(dir, 'normalization.json'), JSON.stringify({ scale: 2 / 255, offset: -1 }));
    const a = await loadDataset(`folder:${dir}`, { inputShape: [3, 3, 3] });
    const b = a.trainBatches(64, { epoch: 0, seed: 1 })[Symbol.iterator]().next().value!;
    const v = b.xs.dataSync()[0]!;
    const cls = tf.argMax(b.ys, -1).dataSync()[0]!;
    expect(v).toBeCloseTo(cls === 0 ? (2 * 20) / 255 - 1 : (2 * 230) / 255 - 1, 1);
    expect(b.xs.shape.slice(1)).toEqual([3, 3, 3]);
    const c = await loadDataset(`folder:${dir}`, { inputShape: [3, 3, 3], scale: 1, offset: 0 });
    const bc = c.trainBatches(64, { epoch: 0, seed: 1 })[Symbol.iterator]().next().value!;
    expect(Math.max(...(bc.xs.dataSync() as Float32Array))).toBeGreaterThan(200);
  });

  it('a folder with fewer than two readable classes is TS_DATA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-folder-'));
    mkdirSync(join(dir, 'only'));
    writeFileSync(join(dir, 'only', 'a.png'), solidPng(2, 2, [1, 2, 3]));
    await expect(loadImageFolder(dir, { inputShape: [2, 2, 3] })).rejects.toThrow(/1 class\(es\) with readable images/);
    await expect(loadImageFolder(join(dir, 'nope'), { inputShape: [2, 2, 3] })).rejects.toThrow(/does not exist/);
  });
});
