import { describe, expect, it } from 'vitest';
import { Rng } from '@tensorslim/linalg';
import { augmentSample, crop, jitter, listAugmentations, registerAugmentation, resolveAugmentations, scale, shift, type Augmentation } from '../src/index.js';

const rows = 4;
const cols = 50;
/** x_ij = (i + 1)·(j + 1): a ramp in time per feature row. */
const ramp = Float64Array.from({ length: rows * cols }, (_, k) => (Math.floor(k / cols) + 1) * ((k % cols) + 1));

describe('augmentations', () => {
  it('jitter adds zero-mean noise with σ = jitterSigma × the sample RMS', () => {
    const x = new Float64Array(20_000).fill(2); // RMS 2
    const out = new Float64Array(x.length);
    jitter.apply(x, 100, 200, out, new Rng(1), { jitterSigma: 0.25 });
    let m = 0;
    let v = 0;
    for (let i = 0; i < x.length; i++) m += (out[i]! - 2) / x.length;
    for (let i = 0; i < x.length; i++) v += (out[i]! - 2 - m) ** 2 / x.length;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.sqrt(v)).toBeCloseTo(0.5, 1);
    expect(x[0]).toBe(2); // the input is left alone
  });

  it('scale multiplies each feature row by one factor, different across rows', () => {
    const out = new Float64Array(ramp.length);
    scale.apply(ramp, rows, cols, out, new Rng(2), { scaleSigma: 0.3 });
    const factors: number[] = [];
    for (let i = 0; i < rows; i++) {
      const f = out[i * cols]! / ramp[i * cols]!;
      for (let j = 0; j < cols; j++) expect(out[i * cols + j]).toBeCloseTo(f * ramp[i * cols + j]!, 12);
      factors.push(f);
    }
    expect(new Set(factors.map((f) => f.toFixed(6))).size).toBe(rows);
    expect(factors.every((f) => Math.abs(f - 1) < 1.5)).toBe(true);
  });

  it('shift moves the time axis by an integer within ±shiftFraction·T and fills with zeros', () => {
    const out = new Float64Array(ramp.length);
    const seen = new Set<number>();
    const rng = new Rng(3);
    for (let t = 0; t < 200; t++) {
      shift.apply(ramp, rows, cols, out, rng, { shiftFraction: 0.1 });
      // row 0 of the ramp is 1..T: a shift k ≥ 0 leaves k leading zeros; k < 0 starts at 1 − k
      const kk = out[0] === 0 ? out.findIndex((v) => v !== 0) : 1 - out[0]!;
      expect(Math.abs(kk)).toBeLessThanOrEqual(5);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const src = j - kk;
          expect(out[i * cols + j]).toBe(src >= 0 && src < cols ? ramp[i * cols + src] : 0);
        }
      }
      seen.add(kk);
    }
    expect(seen.size).toBe(11); // every shift in [−5, 5] occurs
  });

  it('crop keeps a window of cropFraction·T steps stretched to T (a ramp stays a ramp)', () => {
    const out = new Float64Array(ramp.length);
    crop.apply(ramp, rows, cols, out, new Rng(4), { cropFraction: 0.6 });
    for (let i = 0; i < rows; i++) {
      const start = out[i * cols]! / (i + 1) - 1; // the window's first step
      const end = out[i * cols + cols - 1]! / (i + 1) - 1;
      expect(end - start).toBeCloseTo(29, 9); // 30 steps kept
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeLessThanOrEqual(cols - 1);
      for (let j = 1; j < cols - 1; j++) expect(out[i * cols + j]! - out[i * cols + j - 1]!).toBeCloseTo(((i + 1) * 29) / 49, 9);
    }
  });

  it('views chain the named augmentations; the registry takes new ones and names the known ones on a typo', () => {
    const flip: Augmentation = {
      id: 'flip',
      description: 'reverse time',
      apply(x, r, c, out) {
        for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[i * c + j] = x[i * c + c - 1 - j]!;
      },
    };
    registerAugmentation(flip);
    expect(listAugmentations().map((a) => a.id)).toEqual(['jitter', 'scale', 'shift', 'crop', 'flip']);
    const twice = augmentSample(ramp, rows, cols, resolveAugmentations(['flip', 'flip']), new Rng(1));
    expect(Array.from(twice)).toEqual(Array.from(ramp));
    const once = augmentSample(ramp, rows, cols, resolveAugmentations(['flip']), new Rng(1));
    expect(once[0]).toBe(ramp[cols - 1]);
    expect(() => resolveAugmentations(['jiter'])).toThrow(/unknown augmentation "jiter"/);
    expect(() => jitter.apply(ramp, rows, cols, new Float64Array(ramp.length), new Rng(1), { jitterSigma: -1 })).toThrow(/jitterSigma/);
  });
});
