import { describe, expect, it } from 'vitest';
import { Rng } from '@tensorslim/linalg';
import { logisticRegression } from '../src/index.js';

/** n points per class around 3 class centres in 4-d (centres 3 apart, unit noise), on a large offset and scale. */
function blobs(n: number, seed: number): { x: { rows: number; cols: number; data: Float64Array }; y: number[] } {
  const rng = new Rng(seed);
  const centres = [
    [0, 0, 0, 0],
    [3, 0, 0, 0],
    [0, 3, 0, 0],
  ];
  const data = new Float64Array(3 * n * 4);
  const y: number[] = [];
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < n; i++) {
      const row = k * n + i;
      for (let j = 0; j < 4; j++) data[row * 4 + j] = 100 + 50 * (centres[k]![j]! + rng.normal());
      y.push(k);
    }
  }
  return { x: { rows: 3 * n, cols: 4, data }, y };
}

describe('logistic regression probe', () => {
  it('separates Gaussian blobs close to the Bayes rate on held-out points', () => {
    const train = blobs(100, 1);
    const test = blobs(200, 2);
    const m = logisticRegression(train.x, train.y, { classes: 3 });
    const pred = m.predict(test.x);
    const acc = pred.reduce((s, p, i) => s + (p === test.y[i] ? 1 : 0), 0) / pred.length;
    // the Bayes rate of these blobs is about 93%
    expect(acc).toBeGreaterThan(0.88);
    expect(m.finalLoss).toBeLessThan(0.3);
    expect(m.scores(test.x).cols).toBe(3);
  });

  it('refuses labels that do not match the rows or the classes', () => {
    const { x, y } = blobs(5, 1);
    expect(() => logisticRegression(x, y.slice(1))).toThrow(/labels/);
    expect(() => logisticRegression(x, y, { classes: 2 })).toThrow(/does not fit 2 classes/);
  });
});
