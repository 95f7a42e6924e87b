import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RankSpec } from '@tensorslim/core';
import { readNpy, Rng, type DenseTensor } from '@tensorslim/linalg';
import { trReconstructCores } from '../src/index.js';

/** Random ring cores for `shape` at `ranks` (core k: [r_k, n_k, r_(k+1)]). */
export function randomCores(rng: Rng, shape: number[], ranks: number[]): DenseTensor[] {
  const d = shape.length;
  return shape.map((n, k) => {
    const s = [ranks[k]!, n, ranks[(k + 1) % d]!];
    return { shape: s, data: rng.normalArray(s[0]! * s[1]! * s[2]!) };
  });
}

/** A tensor with exact ring structure at `ranks`. */
export function ringTensor(seed: number, shape: number[], ranks: number[]): DenseTensor {
  return trReconstructCores(randomCores(new Rng(seed), shape, ranks));
}

const FIX = join(import.meta.dirname, 'fixtures');

/** A fixture tensor written by fixtures/make_fixtures.py. */
export function fixtureTensor(name: string): DenseTensor {
  return readNpy(new Uint8Array(readFileSync(join(FIX, `${name}.npy`))), name);
}

/** One case of fixtures.json. */
export interface FixtureCase {
  tensor: string;
  spec: RankSpec;
  startMode: number;
  ranks: number[];
  relError: number;
}

/** The cases of fixtures.json. */
export function fixtureCases(): FixtureCase[] {
  return (JSON.parse(readFileSync(join(FIX, 'fixtures.json'), 'utf8')) as { cases: FixtureCase[] }).cases;
}

/** Runs fn and returns the thrown error (fails the test when nothing is thrown). */
export function thrown(fn: () => unknown): { code?: string; message: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected an error, none was thrown');
}
