/**
 * The weights manifest of a TF.js `model.json`: groups of entries stored in shard files, and the
 * byte sizes the entries need, so a missing or short shard is caught before decoding.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/linalg';

/** One weight of a manifest group (the TF.js `WeightsManifestEntry`). */
export interface ManifestEntry {
  /** Weight name, e.g. "conv1/kernel". */
  readonly name: string;
  /** Shape. */
  readonly shape: readonly number[];
  /** Stored dtype: float32, int32, bool (or string). */
  readonly dtype: string;
  /** Present when the values are stored quantized. */
  readonly quantization?: {
    /** uint8, uint16 or float16. */
    readonly dtype: string;
    /** Affine quantization: value = q · scale + min. */
    readonly scale?: number;
    /** Affine quantization offset. */
    readonly min?: number;
  };
}

/** One group of the manifest: its shard files (concatenated in order) and its entries. */
export interface ManifestGroup {
  /** Shard file paths, relative to model.json. */
  readonly paths: readonly string[];
  /** The weights stored in the concatenated shards, in order. */
  readonly weights: readonly ManifestEntry[];
}

/** Bytes per stored value of each dtype (quantized dtypes included). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The bytes one entry occupies in its group's data (`undefined` for variable-length strings). */
export function entryByteLength(e: ManifestEntry, source = 'model.json'): number | undefined {
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (e.dtype === 'string') return undefined;
  const stored = e.quantization?.dtype ?? e.dtype;
  const size = DTYPE_BYTES[stored];
  if (size === undefined || (e.quantization && !['uint8', 'uint16', 'float16'].includes(stored))) {
    fail(ErrorCodes.MODEL, `${source}: weight ${e.name} has unsupported ${e.quantization ? 'quantization ' : ''}dtype "${stored}"`, 'supported: float32, int32, bool; quantized uint8, uint16, float16');
  }
  if (e.quantization && (stored === 'uint8' || stored === 'uint16') && (typeof e.quantization.scale !== 'number' || typeof e.quantization.min !== 'number')) {
    fail(ErrorCodes.MODEL, `${source}: weight ${e.name} is quantized to ${stored} without numeric "scale" and "min"`);
  }
  return n * size;
}

/** Validates the shape of a `weightsManifest` value and returns it typed. */
export function parseManifest(m: unknown, source = 'model.json'): ManifestGroup[] {
  if (m === undefined || m === null) return [];
  if (!Array.isArray(m)) fail(ErrorCodes.MODEL, `${source}: weightsManifest must be a list of groups`);
  return m.map((g, i) => {
    const o = g as Partial<ManifestGroup> | null;
    if (!o || !Array.isArray(o.paths) || !Array.isArray(o.weights) || o.paths.some((p) => typeof p !== 'string')) {
      fail(ErrorCodes.MODEL, `${source}: weightsManifest group ${i + 1} needs "paths" (shard file names) and "weights" (entries)`);
    }
    for (const e of o.weights) {
      if (!e || typeof e.name !== 'string' || !Array.isArray(e.shape) || typeof e.dtype !== 'string') {
        fail(ErrorCodes.MODEL, `${source}: weightsManifest group ${i + 1} has an entry without name, shape and dtype`);
      }
    }
    return o as ManifestGroup;
  });
}

/** The bytes a group's entries need, or `undefined` when a string weight makes it variable. */
export function groupByteLength(g: ManifestGroup, source = 'model.json'): number | undefined {
  let total = 0;
  for (const e of g.weights) {
    const b = entryByteLength(e, source);
    if (b === undefined) return undefined;
    total += b;
  }
  return total;
}
