/**
 * The linear probe that scores representations: multinomial logistic regression with an L2
 * penalty, trained full-batch by Adam on standardized features (mean and standard deviation of
 * the training rows), in float64.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import type { Matrix } from '@tensorslim/linalg';

/** Options of {@link logisticRegression}. */
export interface LogisticOptions {
  /** Number of classes (default: the largest label + 1). */
  readonly classes?: number;
  /** Full-batch Adam steps (default 300). */
  readonly steps?: number;
  /** Adam learning rate (default 0.05). */
  readonly learningRate?: number;
  /** L2 penalty on the weights, not the biases (default 1e-3). */
  readonly l2?: number;
}

/** A trained probe. */
export interface LogisticModel {
  /** Class scores of the rows of `x` (n × classes). */
  scores(x: Matrix): Matrix;
  /** The most likely class of each row. */
  predict(x: Matrix): Int32Array;
  /** Mean cross-entropy plus the penalty after the last step. */
  readonly finalLoss: number;
}

/** Trains multinomial logistic regression on rows `x` (n × d) with integer `labels`. */
export function logisticRegression(x: Matrix, labels: ArrayLike<number>, opts: LogisticOptions = {}): LogisticModel {
  const { rows: n, cols: d } = x;
  if (labels.length !== n || n === 0) fail(ErrorCodes.SHAPE, `logistic regression: ${n} rows but ${labels.length} labels`);
  let maxLabel = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0) fail(ErrorCodes.DATA, `logistic regression: label ${y} at row ${i} is not a class index`);
    maxLabel = Math.max(maxLabel, y);
  }
  const K = opts.classes ?? maxLabel + 1;
  if (maxLabel >= K) fail(ErrorCodes.DATA, `logistic regression: label ${maxLabel} does not fit ${K} classes`);
  const steps = opts.steps ?? 300;
  const lr = opts.learningRate ?? 0.05;
  const l2 = opts.l2 ?? 1e-3;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x.data[i * d + j]! / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j]! += (x.data[i * d + j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]!) || 1;
  const standard = (m: Matrix): Float64Array => m.data.map((v, i) => (v - mean[i % d]!) / std[i % d]!);
  const xs = standard(x);
  const P = (d + 1) * K; // weights d × K, then biases K
  const w = new Float64Array(P);
  const mom = new Float64Array(P);
  const vel = new Float64Array(P);
  const logits = (xv: Float64Array, rows: number): Float64Array => {
    const out = new Float64Array(rows * K);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < K; k++) {
        let s = w[d * K + k]!;
        for (let j = 0; j < d; j++) s += xv[i * d + j]! * w[j * K + k]!;
        out[i * K + k] = s;
      }
    }
    return out;
  };
  let finalLoss = NaN;
  for (let t = 1; t <= steps; t++) {
    const z = logits(xs, n);
    const g = new Float64Array(P);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, z[i * K + k]!);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(z[i * K + k]! - mx);
      const y = labels[i]!;
      loss += mx + Math.log(sum) - z[i * K + y]!;
      for (let k = 0; k < K; k++) {
        const r = (Math.exp(z[i * K + k]! - mx) / sum - (k === y ? 1 : 0)) / n;
        for (let j = 0; j < d; j++) g[j * K + k]! += r * xs[i * d + j]!;
        g[d * K + k]! += r;
      }
    }
    let pen = 0;
    for (let q = 0; q < d * K; q++) {
      g[q]! += l2 * w[q]!;
      pen += 0.5 * l2 * w[q]! ** 2;
    }
    finalLoss = loss / n + pen;
    for (let q = 0; q < P; q++) {
      mom[q] = 0.9 * mom[q]! + 0.1 * g[q]!;
      vel[q] = 0.999 * vel[q]! + 0.001 * g[q]! ** 2;
      w[q]! -= (lr * (mom[q]! / (1 - 0.9 ** t))) / (Math.sqrt(vel[q]! / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  const scores = (m: Matrix): Matrix => {
    if (m.cols !== d) fail(ErrorCodes.SHAPE, `logistic regression: trained on ${d} features, got ${m.cols}`);
    return { rows: m.rows, cols: K, data: logits(standard(m), m.rows) };
  };
  return {
    scores,
    predict(m) {
      const s = scores(m);
      const out = new Int32Array(m.rows);
      for (let i = 0; i < m.rows; i++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (s.data[i * K + k]! > s.data[i * K + best]!) best = k;
        out[i] = best;
      }
      return out;
    },
    finalLoss,
  };
}
