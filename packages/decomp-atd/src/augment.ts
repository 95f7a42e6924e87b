/**
 * Augmentations of one sample of a data tensor, and the registry that names them.
 *
 * A sample is a [features, time] slice of an N × I × J data tensor (row-major, time fastest):
 * a channel × time window of a signal, or a row × column image. An augmentation is a plain
 * object {id, description, apply}; `apply` writes a random view of the sample into `out` and
 * never changes the input. The built-ins follow the time-series augmentations of Um et al.
 * (2017) that ATD (Yang et al., NeurIPS 2022) uses:
 *
 * - `jitter`: add N(0, σ²) noise to every entry (σ = `jitterSigma` × the sample's RMS);
 * - `scale`: multiply each feature row by its own factor N(1, `scaleSigma`²);
 * - `shift`: move the time axis by a uniform integer in [−s, s], s = round(`shiftFraction`·J),
 *   filling with zeros (no wrap-around);
 * - `crop`: take a random window of round(`cropFraction`·J) time steps and stretch it back to J
 *   by linear interpolation.
 *
 * Register a new one with {@link registerAugmentation}; `--augment` names any registered id.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/core';
import type { Rng } from '@tensorslim/linalg';

/** Strengths of the built-in augmentations (each optional, with the defaults below). */
export interface AugmentParams {
  /** `jitter`: noise standard deviation relative to the sample's RMS (default 0.1). */
  readonly jitterSigma?: number;
  /** `scale`: standard deviation of the per-row factor around 1 (default 0.2). */
  readonly scaleSigma?: number;
  /** `shift`: largest shift as a fraction of the time length (default 0.1). */
  readonly shiftFraction?: number;
  /** `crop`: kept window as a fraction of the time length (default 0.8). */
  readonly cropFraction?: number;
}

/** One augmentation of a [rows, cols] sample. */
export interface Augmentation {
  /** Registry id (`--augment` names it). */
  readonly id: string;
  /** One sentence for help texts. */
  readonly description: string;
  /**
   * Writes a random view of `x` (rows × cols, row-major; cols is the time axis) into `out`
   * (same size, not `x` itself), drawing from `rng`.
   */
  apply(x: Float64Array, rows: number, cols: number, out: Float64Array, rng: Rng, params: AugmentParams): void;
}

function param(params: AugmentParams, key: keyof AugmentParams, dflt: number, lo: number, hi: number): number {
  const v = params[key] ?? dflt;
  if (typeof v !== 'number' || !(v >= lo) || !(v <= hi)) fail(ErrorCodes.OPTION, `augmentation ${key} ${String(v)} must be a number in [${lo}, ${hi}]`);
  return v;
}

/** `jitter`: additive Gaussian noise scaled to the sample's RMS. */
export const jitter: Augmentation = {
  id: 'jitter',
  description: 'add Gaussian noise, σ = jitterSigma × the sample RMS',
  apply(x, _rows, _cols, out, rng, params) {
    const s = param(params, 'jitterSigma', 0.1, 0, 10);
    let ss = 0;
    for (let i = 0; i < x.length; i++) ss += x[i]! * x[i]!;
    const sigma = s * Math.sqrt(ss / Math.max(1, x.length));
    for (let i = 0; i < x.length; i++) out[i] = x[i]! + sigma * rng.normal();
  },
};

/** `scale`: each feature row times its own factor drawn from N(1, scaleSigma²). */
export const scale: Augmentation = {
  id: 'scale',
  description: 'multiply each feature row by a factor drawn from N(1, scaleSigma²)',
  apply(x, rows, cols, out, rng, params) {
    const s = param(params, 'scaleSigma', 0.2, 0, 10);
    for (let i = 0; i < rows; i++) {
      const f = 1 + s * rng.normal();
      for (let j = 0; j < cols; j++) out[i * cols + j] = f * x[i * cols + j]!;
    }
  },
};

/** `shift`: a uniform integer time shift in [−s, s], zero-filled. */
export const shift: Augmentation = {
  id: 'shift',
  description: 'shift the time axis by a uniform integer in ±shiftFraction·T, filling with zeros',
  apply(x, rows, cols, out, rng, params) {
    const s = Math.round(param(params, 'shiftFraction', 0.1, 0, 1) * cols);
    const k = rng.int(2 * s + 1) - s;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const src = j - k;
        out[i * cols + j] = src >= 0 && src < cols ? x[i * cols + src]! : 0;
      }
    }
  },
};

/** `crop`: a random window of cropFraction·T steps, stretched back to T by linear interpolation. */
export const crop: Augmentation = {
  id: 'crop',
  description: 'crop a random window of cropFraction·T time steps and stretch it back to T (linear interpolation)',
  apply(x, rows, cols, out, rng, params) {
    const len = Math.max(1, Math.round(param(params, 'cropFraction', 0.8, 0.01, 1) * cols));
    const start = rng.int(cols - len + 1);
    for (let j = 0; j < cols; j++) {
      // output j samples the window at position t ∈ [start, start + len − 1]
      const t = cols === 1 ? start : start + (j * (len - 1)) / (cols - 1);
      const t0 = Math.floor(t);
      const t1 = Math.min(t0 + 1, cols - 1);
      const w = t - t0;
      for (let i = 0; i < rows; i++) out[i * cols + j] = (1 - w) * x[i * cols + t0]! + w * x[i * cols + t1]!;
    }
  },
};

const registry = new Map<string, Augmentation>([jitter, scale, shift, crop].map((a) => [a.id, a]));

/** Adds (or replaces) an augmentation under its id. */
export function registerAugmentation(a: Augmentation): void {
  if (!a || typeof a.apply !== 'function' || typeof a.id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(a.id)) {
    fail(ErrorCodes.PLUGIN, 'an augmentation needs an id (lowercase letters, digits, dashes) and an apply(x, rows, cols, out, rng, params) function');
  }
  registry.set(a.id, a);
}

/** The registered augmentations, in registration order. */
export function listAugmentations(): Augmentation[] {
  return [...registry.values()];
}

/** The augmentations named by `ids`; an unknown id is a `TS_OPTION` error listing the known ones. */
export function resolveAugmentations(ids: readonly string[]): Augmentation[] {
  if (!Array.isArray(ids)) fail(ErrorCodes.OPTION, `augment must be a list of augmentation ids, got ${JSON.stringify(ids)}`);
  return ids.map((id) => {
    const a = registry.get(id);
    if (!a) fail(ErrorCodes.OPTION, `unknown augmentation "${id}"`, `registered augmentations: ${[...registry.keys()].join(', ')}`);
    return a;
  });
}

/**
 * A random view of one sample: the augmentations applied in order, each to the previous one's
 * output. With no augmentation the view is a copy of the sample.
 */
export function augmentSample(x: Float64Array, rows: number, cols: number, augs: readonly Augmentation[], rng: Rng, params: AugmentParams = {}): Float64Array {
  let cur = Float64Array.from(x);
  let next = new Float64Array(x.length);
  for (const a of augs) {
    a.apply(cur, rows, cols, next, rng, params);
    [cur, next] = [next, cur];
  }
  return cur;
}
