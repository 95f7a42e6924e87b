/**
 * CIFAR-10 and CIFAR-100 from their binary distributions in a directory the user names
 * (cifar-10-batches-bin: data_batch_1..5.bin + test_batch.bin, records of 1 label byte + 3072
 * pixel bytes; cifar-100-binary: train.bin + test.bin, records of coarse + fine label bytes +
 * 3072 pixel bytes; pixels channel-major, R then G then B, 32×32 each). Examples become NHWC
 * [32, 32, 3], normalized per channel with the datasets' published means and standard
 * deviations; training batches get the standard augmentation (random crop of the image padded by
 * 4 pixels, and a horizontal flip with probability ½), seeded per (seed, epoch, step).
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import { Rng } from '@tensorslim/linalg';
import { ArrayDataset, makeSplits, type ExampleStore, type SplitOptions } from './array-dataset.js';

/** A CIFAR variant. */
export type CifarVariant = 'cifar10' | 'cifar100';

/** The file layout and statistics of a CIFAR variant. */
export interface CifarLayout {
  /** The folder the official archive unpacks to. */
  readonly subdir: string;
  /** Training files, in order. */
  readonly train: readonly string[];
  /** Test files. */
  readonly test: readonly string[];
  /** Label bytes before each record's pixels (CIFAR-100: coarse, fine). */
  readonly labelBytes: number;
  /** Per-channel mean of the training pixels in [0, 1] (R, G, B). */
  readonly mean: readonly number[];
  /** Per-channel standard deviation. */
  readonly std: readonly number[];
}

/** The CIFAR variants and their file layouts. */
export const CIFAR_LAYOUTS: Readonly<Record<CifarVariant, CifarLayout>> = {
  cifar10: {
    subdir: 'cifar-10-batches-bin',
    train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
    test: ['test_batch.bin'],
    labelBytes: 1,
    mean: [0.4914, 0.4822, 0.4465],
    std: [0.247, 0.2435, 0.2616],
  },
  cifar100: {
    subdir: 'cifar-100-binary',
    train: ['train.bin'],
    test: ['test.bin'],
    labelBytes: 2,
    mean: [0.5071, 0.4865, 0.4409],
    std: [0.2673, 0.2564, 0.2762],
  },
};

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;
const PAD = 4;

/** Options of {@link loadCifar}. */
export interface CifarOptions extends SplitOptions {
  /** cifar10 (default) or cifar100. */
  readonly variant?: CifarVariant;
  /** CIFAR-100 labels: the 100 fine classes (default) or the 20 coarse superclasses. */
  readonly labels?: 'fine' | 'coarse';
  /** Augment training batches with crop + flip (default true). */
  readonly augment?: boolean;
}

async function resolveDir(dir: string, variant: CifarVariant): Promise<{ dir: string; missing: string[] }> {
  const [{ stat }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const l = CIFAR_LAYOUTS[variant];
  const names = [...l.train, ...l.test];
  const exists = async (d: string) =>
    await Promise.all(
      names.map((n) =>
        stat(join(d, n))
          .then((s) => s.isFile())
          .catch(() => false),
      ),
    );
  const here = await exists(dir);
  if (here.some(Boolean)) return { dir, missing: names.filter((_, i) => !here[i]) };
  const sub = join(dir, l.subdir);
  const there = await exists(sub);
  if (there.some(Boolean)) return { dir: sub, missing: names.filter((_, i) => !there[i]) };
  return { dir, missing: names };
}

/** Reads CIFAR binary files into a store; checks record alignment and labels. */
async function cifarStore(dir: string, files: readonly string[], variant: CifarVariant, labels: 'fine' | 'coarse', numClasses: number): Promise<ExampleStore> {
  const [{ readFile }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const l = CIFAR_LAYOUTS[variant];
  const rec = l.labelBytes + PIXELS;
  const labelAt = l.labelBytes === 2 && labels === 'fine' ? 1 : 0;
  const chunks: Uint8Array[] = [];
  const starts: number[] = [];
  let count = 0;
  for (const f of files) {
    const p = join(dir, f);
    const bytes = new Uint8Array(await readFile(p));
    if (bytes.byteLength === 0 || bytes.byteLength % rec !== 0) {
      fail(
        ErrorCodes.DATA,
        `${p} is truncated or not a ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} binary file: ${bytes.byteLength} bytes is not a whole number of ${rec}-byte records (${Math.floor(bytes.byteLength / rec)} records + ${bytes.byteLength % rec} bytes)`,
        'download the binary version again',
        { size: bytes.byteLength, record: rec },
      );
    }
    const n = bytes.byteLength / rec;
    for (let i = 0; i < n; i++) {
      const y = bytes[i * rec + labelAt]!;
      if (y >= numClasses)
        fail(
          ErrorCodes.DATA,
          `${p}: record ${i} has label ${y}, outside the ${numClasses} ${variant === 'cifar100' ? `${labels} ` : ''}classes`,
          'is this the right CIFAR variant?',
        );
    }
    chunks.push(bytes);
    starts.push(count);
    count += n;
  }
  const locate = (i: number): [Uint8Array, number] => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return [chunks[lo]!, (i - starts[lo]!) * rec];
  };
  const scale = l.std.map((s) => 1 / (255 * s));
  const shift = l.mean.map((m, c) => -m / l.std[c]!);
  return {
    count,
    label(i) {
      const [b, o] = locate(i);
      return b[o + labelAt]!;
    },
    decode(i: number, out: Float32Array, offset: number, aug: Rng | null) {
      const [b, o] = locate(i);
      const px = o + l.labelBytes;
      const dy = aug ? aug.int(2 * PAD + 1) - PAD : 0;
      const dx = aug ? aug.int(2 * PAD + 1) - PAD : 0;
      const flip = aug ? aug.next() < 0.5 : false;
      for (let y = 0; y < SIDE; y++) {
        const sy = y + dy;
        for (let x = 0; x < SIDE; x++) {
          const sx = (flip ? SIDE - 1 - x : x) + dx;
          const inside = sy >= 0 && sy < SIDE && sx >= 0 && sx < SIDE;
          const dst = offset + (y * SIDE + x) * 3;
          for (let c = 0; c < 3; c++) {
            const v = inside ? b[px + c * SIDE * SIDE + sy * SIDE + sx]! : 0; // padding is black, as in torchvision
            out[dst + c] = v * scale[c]! + shift[c]!;
          }
        }
      }
    },
  };
}

/**
 * Loads CIFAR-10 or CIFAR-100 from `dir` (the folder holding the .bin files, or its parent with
 * cifar-10-batches-bin / cifar-100-binary inside). Missing files are one `TS_DATA` error naming
 * them all; a file whose length is not a whole number of records is `TS_DATA` too.
 */
export async function loadCifar(dir: string, opts: CifarOptions = {}): Promise<ArrayDataset> {
  const variant = opts.variant ?? 'cifar10';
  if (!(variant in CIFAR_LAYOUTS)) fail(ErrorCodes.OPTION, `unknown CIFAR variant "${variant}"`, 'use cifar10 or cifar100');
  const labels = opts.labels ?? 'fine';
  const numClasses = variant === 'cifar10' ? 10 : labels === 'fine' ? 100 : 20;
  const r = await resolveDir(dir, variant);
  if (r.missing.length) {
    fail(
      ErrorCodes.DATA,
      `${dir} is missing ${variant === 'cifar10' ? 'CIFAR-10' : 'CIFAR-100'} file${r.missing.length > 1 ? 's' : ''}: ${r.missing.join(', ')}`,
      `download the binary version and pass the folder holding the .bin files (or its parent with ${CIFAR_LAYOUTS[variant].subdir}/)`,
      { missing: r.missing },
    );
  }
  const l = CIFAR_LAYOUTS[variant];
  const train = await cifarStore(r.dir, l.train, variant, labels, numClasses);
  const test = await cifarStore(r.dir, l.test, variant, labels, numClasses);
  const splits = makeSplits(train, test, opts);
  return new ArrayDataset({ name: variant, inputShape: [SIDE, SIDE, 3], numClasses, augment: opts.augment ?? true, ...splits });
}

/** Options of {@link makeCifarFiles}. */
export interface MakeCifarOptions {
  /** cifar10 (default) or cifar100. */
  readonly variant?: CifarVariant;
  /** Records per training file (default 20). */
  readonly trainRecords?: number;
  /** Records in the test file (default 20). */
  readonly testRecords?: number;
  /** Seed of the random pixels (default 1). */
  readonly seed?: number;
}

/**
 * Writes a small CIFAR-format directory of random images (labels cycle through the classes):
 * for tests and demos of the CIFAR pipeline without the real download.
 */
export async function makeCifarFiles(dir: string, opts: MakeCifarOptions = {}): Promise<string[]> {
  const [{ mkdir, writeFile }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const variant = opts.variant ?? 'cifar10';
  const l = CIFAR_LAYOUTS[variant];
  const rng = new Rng(opts.seed ?? 1);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [files, n] of [
    [l.train, opts.trainRecords ?? 20],
    [l.test, opts.testRecords ?? 20],
  ] as const) {
    for (const f of files) {
      const rec = l.labelBytes + PIXELS;
      const bytes = new Uint8Array(n * rec);
      for (let i = 0; i < n; i++) {
        if (l.labelBytes === 2) {
          bytes[i * rec] = i % 20;
          bytes[i * rec + 1] = i % 100;
        } else bytes[i * rec] = i % 10;
        for (let k = 0; k < PIXELS; k++) bytes[i * rec + l.labelBytes + k] = rng.int(256);
      }
      await writeFile(join(dir, f), bytes);
      written.push(join(dir, f));
    }
  }
  return written;
}
