import { Rng, type DenseTensor } from '@tensorslim/linalg';

/** Random factor matrices [I_k, R] (standard normal) from a seeded generator. */
export function randomFactors(shape: readonly number[], r: number, seed: number): DenseTensor[] {
  const rng = new Rng(seed);
  return shape.map((s) => ({ shape: [s, r], data: rng.normalArray(s * r) }));
}

/**
 * Σ_r ∏_k A_k[i_k, r], summed entry by entry with plain loops (independent of the plugin's
 * Khatri–Rao/matmul reconstruction).
 */
export function cpTensor(factors: readonly DenseTensor[], weights?: readonly number[]): DenseTensor {
  const shape = factors.map((f) => f.shape[0]!);
  const r = factors[0]!.shape[1]!;
  const n = shape.reduce((p, s) => p * s, 1);
  const data = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    let rem = flat;
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k] = rem % shape[k]!;
      rem = Math.floor(rem / shape[k]!);
    }
    let sum = 0;
    for (let c = 0; c < r; c++) {
      let p = weights ? weights[c]! : 1;
      for (let k = 0; k < shape.length; k++) p *= factors[k]!.data[idx[k]! * r + c]!;
      sum += p;
    }
    data[flat] = sum;
  }
  return { shape, data };
}

/** Max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The error code of what `fn` throws (or 'no error'). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${(e as Error).message}`;
  }
  return 'no error';
}
