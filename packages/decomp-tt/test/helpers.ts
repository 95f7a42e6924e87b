/** Shared test helpers: random TT tensors, fixtures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Factors, type RankSpec } from '@tensorslim/core';
import { readNpy, Rng, type DenseTensor } from '@tensorslim/linalg';
import { ttReconstruct } from '../src/index.js';

/** Random TT factors with the given ranks (standard normal cores). */
export function randomTt(shape: number[], ranks: number[], seed: number): Factors {
  const rng = new Rng(seed);
  const cores = shape.map((n, k) => {
    const s = [ranks[k]!, n, ranks[k + 1]!];
    return { shape: s, data: rng.normalArray(s[0]! * s[1]! * s[2]!) };
  });
  return { format: 'tt', shape, ranks, cores };
}

/** The dense tensor of random TT cores. */
export function randomTtTensor(shape: number[], ranks: number[], seed: number): DenseTensor {
  return ttReconstruct(randomTt(shape, ranks, seed));
}

/** A standard normal tensor. */
export function randn(shape: number[], seed: number): DenseTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: new Rng(seed).normalArray(n) };
}

/** One numpy fixture case (see fixtures/make_fixtures.py). */
export interface FixtureCase {
  name: string;
  /** The .npy holding the tensor, or */
  file?: string;
  /** the formula that builds it (hilbert, hash, wave; see make_fixtures.py). */
  formula?: string;
  shape: number[];
  spec: RankSpec;
  ranks: number[];
  relError: number;
  params: number;
}

const FIX = join(import.meta.dirname, 'fixtures');

/** All fixture cases. */
export function fixtureCases(): FixtureCase[] {
  return (JSON.parse(readFileSync(join(FIX, 'cases.json'), 'utf8')) as { cases: FixtureCase[] }).cases;
}

const HASH_C = [12.9898, 78.233, 37.719, 4.581, 9.151, 3.77];

/** The tensors of make_fixtures.py's `formula()`, evaluated entry by entry. */
export function formulaTensor(name: string, shape: number[]): DenseTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let p = 0; p < n; p++) {
    let v: number;
    if (name === 'hilbert') v = 1 / (1 + idx.reduce((a, b) => a + b, 0));
    else if (name === 'hash') {
      let arg = 0;
      for (let a = 0; a < shape.length; a++) arg += idx[a]! * HASH_C[a]!;
      const x = Math.sin(arg) * 43758.5453;
      v = x - Math.floor(x) - 0.5;
    } else if (name === 'wave') {
      v = 0;
      for (let a = 0; a + 1 < shape.length; a++) v += Math.sin(0.05 * (a + 1) * idx[a]! * idx[a + 1]!);
    } else throw new Error(`unknown formula ${name}`);
    data[p] = v;
    for (let ax = shape.length - 1; ax >= 0; ax--) {
      if (++idx[ax]! < shape[ax]!) break;
      idx[ax] = 0;
    }
  }
  return { shape, data };
}

/** A fixture tensor. */
export function fixtureTensor(c: FixtureCase): DenseTensor {
  if (c.formula) return formulaTensor(c.formula, c.shape);
  const t = readNpy(new Uint8Array(readFileSync(join(FIX, c.file!))), c.file);
  return { shape: [...t.shape], data: t.data };
}

/** Max |a − b| over two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
