/**
 * Synthetic classification data for tests and quick runs, fully determined by a seed:
 * Gaussian blobs (one random center per class) or a linear teacher (labels = argmax of a random
 * linear map of Gaussian inputs).
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import { Rng } from '@tensorslim/linalg';
import { ArrayDataset, makeSplits, mixSeed, type ExampleStore, type SplitOptions } from './array-dataset.js';

/** Options of {@link syntheticDataset}. */
export interface SyntheticOptions extends SplitOptions {
  /** 'blobs' (default) or 'teacher'. */
  readonly kind?: 'blobs' | 'teacher';
  /** One example's shape (default [8]). */
  readonly inputShape?: readonly number[];
  /** Classes (default 3). */
  readonly numClasses?: number;
  /** Training examples generated (default 256). */
  readonly trainSize?: number;
  /** Test examples generated (default 64). */
  readonly testSize?: number;
  /** Blobs: distance scale of the class centers relative to the unit noise (default 3). */
  readonly separation?: number;
}

function store(x: Float32Array, y: Uint8Array | Uint16Array, d: number): ExampleStore {
  return {
    count: y.length,
    label: (i) => y[i]!,
    decode(i, out, offset) {
      out.set(x.subarray(i * d, (i + 1) * d), offset);
    },
  };
}

/** A seeded synthetic dataset; the test split is generated from the same distribution. */
export function syntheticDataset(opts: SyntheticOptions = {}): ArrayDataset {
  const kind = opts.kind ?? 'blobs';
  const shape = opts.inputShape ?? [8];
  const k = opts.numClasses ?? 3;
  const nTrain = opts.trainSize ?? 256;
  const nTest = opts.testSize ?? 64;
  if (kind !== 'blobs' && kind !== 'teacher') fail(ErrorCodes.OPTION, `synthetic kind "${String(kind)}" must be blobs or teacher`);
  if (!Number.isInteger(k) || k < 2 || k > 65535) fail(ErrorCodes.OPTION, `numClasses ${k} must be an integer in [2, 65535]`);
  for (const [n, v] of [
    ['trainSize', nTrain],
    ['testSize', nTest],
  ] as const)
    if (!Number.isInteger(v) || v < 1) fail(ErrorCodes.OPTION, `${n} ${v} must be a positive integer`);
  const d = shape.reduce((a, b) => a * b, 1);
  const seed = opts.seed ?? 1;
  const model = new Rng(mixSeed(seed, 0xb10b));
  const sep = opts.separation ?? 3;
  const params = model.normalArray(k * d); // centers [k, d] or teacher [d, k]
  const gen = (n: number, salt: number) => {
    const rng = new Rng(mixSeed(seed, salt));
    const x = new Float32Array(n * d);
    const y = k <= 256 ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      if (kind === 'blobs') {
        const c = rng.int(k);
        y[i] = c;
        for (let j = 0; j < d; j++) x[i * d + j] = sep * params[c * d + j]! + rng.normal();
      } else {
        for (let j = 0; j < d; j++) x[i * d + j] = rng.normal();
        let best = 0;
        let bestV = -Infinity;
        for (let c = 0; c < k; c++) {
          let v = 0;
          for (let j = 0; j < d; j++) v += x[i * d + j]! * params[j * k + c]!;
          if (v > bestV) [best, bestV] = [c, v];
        }
        y[i] = best;
      }
    }
    return store(x, y, d);
  };
  const splits = makeSplits(gen(nTrain, 1), gen(nTest, 2), opts);
  return new ArrayDataset({ name: 'synthetic', inputShape: shape, numClasses: k, ...splits });
}
