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
  /** Stored dtype: float32, int32 or bool. */
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

/** The dtypes a weight may have in a manifest tensorslim reads. */
export const WEIGHT_DTYPES: readonly string[] = ['float32', 'int32', 'bool'];
/** The dtypes a quantized weight may be stored as (what tensorflowjs_converter writes). */
export const QUANTIZED_DTYPES: readonly string[] = ['uint8', 'uint16', 'float16'];

/** The bytes one entry occupies in its group's data. The entry must have passed {@link parseManifest}. */
export function entryByteLength(e: ManifestEntry): number {
  return e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.quantization?.dtype ?? e.dtype]!;
}

/**
 * Refuses a shard path that could name a file outside the directory of model.json: an absolute
 * path, a drive letter or URL scheme (`C:`, `file:`), or a `..` segment (with `/` or `\` as the
 * separator). `TS_MODEL`, naming the path.
 */
export function checkShardPath(p: string, source = 'model.json'): void {
  const hint =
    'weightsManifest paths must name files inside the directory of model.json (such as "./group1-shard1of1.bin"); tensorslim reads no weights from elsewhere';
  if (p.length === 0) fail(ErrorCodes.MODEL, `${source}: a weightsManifest path is empty`, hint);
  if (/^[\\/]/.test(p) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p))
    fail(ErrorCodes.MODEL, `${source}: weight shard path "${p}" is absolute; it must stay inside the model's directory`, hint, { path: p });
  if (p.split(/[\\/]/).includes('..'))
    fail(ErrorCodes.MODEL, `${source}: weight shard path "${p}" has a ".." segment; it must stay inside the model's directory`, hint, { path: p });
}

function checkEntry(e: unknown, where: string, source: string): ManifestEntry {
  const o = e as Partial<ManifestEntry> | null;
  if (!o || typeof o.name !== 'string' || !Array.isArray(o.shape) || typeof o.dtype !== 'string') {
    fail(ErrorCodes.MODEL, `${source}: ${where} has an entry without name, shape and dtype`);
  }
  const at = `${source}: weight ${o.name} (${where})`;
  let n = 1;
  for (const d of o.shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      fail(ErrorCodes.MODEL, `${at} has shape ${JSON.stringify(o.shape)}: every dimension must be a non-negative integer`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) fail(ErrorCodes.MODEL, `${at} has shape ${JSON.stringify(o.shape)}, whose ${n} values no file can hold`);
  if (!WEIGHT_DTYPES.includes(o.dtype)) {
    fail(ErrorCodes.MODEL, `${at} has dtype "${o.dtype}"`, `supported: ${WEIGHT_DTYPES.join(', ')}; quantized ${QUANTIZED_DTYPES.join(', ')}`);
  }
  const q = o.quantization as ManifestEntry['quantization'] | undefined | null;
  if (q !== undefined && q !== null) {
    if (typeof q !== 'object' || !QUANTIZED_DTYPES.includes(q.dtype)) {
      fail(ErrorCodes.MODEL, `${at} has quantization dtype "${String((q as { dtype?: unknown }).dtype)}"`, `supported: ${QUANTIZED_DTYPES.join(', ')}`);
    }
    if (q.dtype !== 'float16' && (!Number.isFinite(q.scale) || !Number.isFinite(q.min))) {
      fail(ErrorCodes.MODEL, `${at} is quantized to ${q.dtype} without numeric "scale" and "min"`);
    }
  }
  return o as ManifestEntry;
}

/**
 * Validates a `weightsManifest` value and returns it typed. `TS_MODEL` errors name what is wrong:
 * a group without paths or weights, a shard path that leaves the model's directory
 * ({@link checkShardPath}), an entry whose shape is not a list of non-negative integers, or whose
 * dtype (or quantization dtype) is not one tensorslim decodes.
 */
export function parseManifest(m: unknown, source = 'model.json'): ManifestGroup[] {
  if (m === undefined || m === null) return [];
  if (!Array.isArray(m)) fail(ErrorCodes.MODEL, `${source}: weightsManifest must be a list of groups`);
  return m.map((g, i) => {
    const o = g as Partial<ManifestGroup> | null;
    if (!o || !Array.isArray(o.paths) || !Array.isArray(o.weights) || o.paths.some((p) => typeof p !== 'string')) {
      fail(ErrorCodes.MODEL, `${source}: weightsManifest group ${i + 1} needs "paths" (shard file names) and "weights" (entries)`);
    }
    for (const p of o.paths) checkShardPath(p, source);
    return { paths: o.paths, weights: o.weights.map((e) => checkEntry(e, `weightsManifest group ${i + 1}`, source)) };
  });
}

/** The bytes a group's entries need. */
export function groupByteLength(g: ManifestGroup): number {
  return g.weights.reduce((a, e) => a + entryByteLength(e), 0);
}
