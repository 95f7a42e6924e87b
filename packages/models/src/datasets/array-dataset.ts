/**
 * An in-memory classification dataset as seeded batch streams: the implementation of core's
 * `DataSource` every built-in dataset uses. Examples stay in their stored form (bytes) and
 * are decoded (normalized, augmented) batch by batch.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, fail, type Batch, type DataSource, type EpochOptions } from '@tensorslim/core';
import { Rng } from '@tensorslim/linalg';

/** Where examples live and how one becomes floats. */
export interface ExampleStore {
  /** Number of examples. */
  readonly count: number;
  /** The class of example `i`. */
  label(i: number): number;
  /**
   * Writes example `i` (one example's worth of floats, in `inputShape` order) into `out` at
   * `offset`. `aug` is the batch's augmentation generator, or null for no augmentation.
   */
  decode(i: number, out: Float32Array, offset: number, aug: Rng | null): void;
}

/** A subset of a store: the examples of one split. */
export interface Split {
  /** The store. */
  readonly store: ExampleStore;
  /** Indices into the store. */
  readonly indices: Int32Array;
}

/** A `DataSource` (core's data contract) with a test split too. */
export interface Dataset extends DataSource {
  /** Examples of the test split. */
  readonly testSize: number;
  /** Where the validation split comes from: held out of the training files, or the test files. */
  readonly valSource: 'holdout' | 'test';
  /** The test batches, in a fixed order. */
  testBatches(batchSize: number): Iterable<Batch>;
  /** Batches per training epoch at this batch size (the last one may be smaller). */
  stepsPerEpoch(batchSize: number): number;
}

/** Mixes integers into one 32-bit seed (deterministic, well spread). */
export function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return h >>> 0;
}

/** Options that choose the splits of a dataset. */
export interface SplitOptions {
  /** Fraction of the training files held out as validation; 0 (default) validates on the test files. */
  readonly valFraction?: number;
  /** Use at most this many training examples (a seeded random subset), for quick runs. */
  readonly limit?: number;
  /** Use at most this many validation and test examples each (a seeded random subset). */
  readonly evalLimit?: number;
  /** Seed of the split and subsets (default 1). */
  readonly seed?: number;
}

function subset(ix: Int32Array, limit: number | undefined, rng: Rng): Int32Array {
  if (limit === undefined || limit >= ix.length) return ix;
  const a = ix.slice();
  rng.shuffle(a);
  return a.slice(0, limit).sort();
}

function checkCount(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) fail(ErrorCodes.OPTION, `${name} ${v} must be a positive integer`);
}

/** The three splits of a dataset. */
export interface Splits {
  /** Training examples. */
  readonly train: Split;
  /** Validation examples. */
  readonly val: Split;
  /** Test examples. */
  readonly test: Split;
  /** Where validation comes from. */
  readonly valSource: 'holdout' | 'test';
}

/** Splits training and test stores into train / validation / test per {@link SplitOptions}. */
export function makeSplits(train: ExampleStore, test: ExampleStore, o: SplitOptions): Splits {
  const vf = o.valFraction ?? 0;
  if (!(vf >= 0 && vf < 1)) fail(ErrorCodes.OPTION, `valFraction ${vf} must be in [0, 1)`);
  checkCount('limit', o.limit);
  checkCount('evalLimit', o.evalLimit);
  const rng = new Rng(mixSeed(o.seed ?? 1, 0x5eed));
  const all = Int32Array.from({ length: train.count }, (_, i) => i);
  const testIx = Int32Array.from({ length: test.count }, (_, i) => i);
  let trainIx = all;
  let valSplit: Split;
  if (vf > 0) {
    const perm = all.slice();
    rng.shuffle(perm);
    const nVal = Math.max(1, Math.round(vf * all.length));
    valSplit = { store: train, indices: subset(perm.slice(0, nVal).sort(), o.evalLimit, rng) };
    trainIx = perm.slice(nVal).sort();
  } else {
    valSplit = { store: test, indices: subset(testIx, o.evalLimit, rng) };
  }
  return {
    train: { store: train, indices: subset(trainIx, o.limit, rng) },
    val: valSplit,
    test: { store: test, indices: subset(testIx, o.evalLimit, rng) },
    valSource: vf > 0 ? 'holdout' : 'test',
  };
}

/** Everything {@link ArrayDataset} needs. */
export interface ArrayDatasetSpec {
  /** Dataset name. */
  readonly name: string;
  /** One example's shape. */
  readonly inputShape: readonly number[];
  /** Number of classes. */
  readonly numClasses: number;
  /** The training split. */
  readonly train: Split;
  /** The validation split. */
  readonly val: Split;
  /** The test split. */
  readonly test: Split;
  /** Where validation comes from. */
  readonly valSource: 'holdout' | 'test';
  /** Augment training batches (the store's decode gets a generator). */
  readonly augment?: boolean;
}

/** A {@link Dataset} over in-memory stores. */
export class ArrayDataset implements Dataset {
  /** Dataset name. */
  readonly name: string;
  /** One example's shape. */
  readonly inputShape: readonly number[];
  /** Classes. */
  readonly numClasses: number;
  /** Where validation comes from. */
  readonly valSource: 'holdout' | 'test';
  /** Whether training batches are augmented. */
  readonly augment: boolean;
  private readonly splits: { train: Split; val: Split; test: Split };
  private readonly exampleSize: number;

  constructor(spec: ArrayDatasetSpec) {
    this.name = spec.name;
    this.inputShape = [...spec.inputShape];
    this.numClasses = spec.numClasses;
    this.valSource = spec.valSource;
    this.augment = spec.augment ?? false;
    this.splits = { train: spec.train, val: spec.val, test: spec.test };
    this.exampleSize = this.inputShape.reduce((a, b) => a * b, 1);
  }

  /** Training examples. */
  get trainSize(): number {
    return this.splits.train.indices.length;
  }
  /** Validation examples. */
  get valSize(): number {
    return this.splits.val.indices.length;
  }
  /** Test examples. */
  get testSize(): number {
    return this.splits.test.indices.length;
  }

  /** Batches per training epoch. */
  stepsPerEpoch(batchSize: number): number {
    checkCount('batch size', batchSize);
    return Math.ceil(this.trainSize / batchSize);
  }

  /**
   * One epoch of training batches: the order is a shuffle seeded by (seed, epoch), and each
   * batch's augmentation is seeded by (seed, epoch, step), so starting at `startStep` (resume)
   * yields exactly the batches an uninterrupted epoch would.
   */
  *trainBatches(batchSize: number, opts: EpochOptions): Iterable<Batch> {
    checkCount('batch size', batchSize);
    const order = this.splits.train.indices.slice();
    new Rng(mixSeed(opts.seed, opts.epoch, 0x7a11)).shuffle(order);
    const steps = Math.ceil(order.length / batchSize);
    for (let step = opts.startStep ?? 0; step < steps; step++) {
      const aug = this.augment ? new Rng(mixSeed(opts.seed, opts.epoch, step, 0xa065)) : null;
      yield this.batch(this.splits.train.store, order.subarray(step * batchSize, (step + 1) * batchSize), aug);
    }
  }

  /** The validation batches, in a fixed order, never augmented. */
  *valBatches(batchSize: number): Iterable<Batch> {
    yield* this.fixed(this.splits.val, batchSize);
  }

  /** The test batches, in a fixed order, never augmented. */
  *testBatches(batchSize: number): Iterable<Batch> {
    yield* this.fixed(this.splits.test, batchSize);
  }

  private *fixed(split: Split, batchSize: number): Iterable<Batch> {
    checkCount('batch size', batchSize);
    for (let s = 0; s < split.indices.length; s += batchSize) yield this.batch(split.store, split.indices.subarray(s, s + batchSize), null);
  }

  private batch(store: ExampleStore, ix: Int32Array, aug: Rng | null): Batch {
    const n = ix.length;
    const k = this.numClasses;
    const xs = new Float32Array(n * this.exampleSize);
    const ys = new Float32Array(n * k);
    for (let j = 0; j < n; j++) {
      store.decode(ix[j]!, xs, j * this.exampleSize, aug);
      ys[j * k + store.label(ix[j]!)] = 1;
    }
    return { xs: tf.tensor(xs, [n, ...this.inputShape], 'float32'), ys: tf.tensor2d(ys, [n, k], 'float32') };
  }
}
