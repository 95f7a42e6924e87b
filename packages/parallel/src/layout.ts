/**
 * How a batch is split among workers and where everything lives in the shared memory the main
 * thread and the workers exchange it through (pure functions; ./engine.ts and ./worker.ts both
 * read them, so the two sides cannot disagree).
 *
 * @module
 */

/** Examples per worker for a batch of `n`: contiguous shards, the first `n mod workers` one longer. */
export function shardSizes(n: number, workers: number): number[] {
  const base = Math.floor(n / workers);
  const extra = n % workers;
  return Array.from({ length: workers }, (_, w) => base + (w < extra ? 1 : 0));
}

/** Float32 tensors packed one after another: element offset of each, and the total. */
export interface PackedLayout {
  /** Shapes, in order. */
  readonly shapes: readonly (readonly number[])[];
  /** Element offset of each tensor. */
  readonly offsets: readonly number[];
  /** Elements of each tensor. */
  readonly sizes: readonly number[];
  /** Elements in all. */
  readonly total: number;
}

/** The packed layout of tensors of `shapes`. */
export function packedLayout(shapes: readonly (readonly number[])[]): PackedLayout {
  const offsets: number[] = [];
  const sizes: number[] = [];
  let total = 0;
  for (const s of shapes) {
    const n = s.reduce((a, b) => a * b, 1);
    offsets.push(total);
    sizes.push(n);
    total += n;
  }
  return { shapes, offsets, sizes, total };
}

/** Byte regions of one worker's work buffer: its gradients, its updated state, its shard of x and y. */
export interface WorkLayout {
  /** Byte offset of the gradients (float32, the trainable weights packed). */
  readonly grads: number;
  /** Byte offset of the non-trainable weights after the worker's forward pass (float32). */
  readonly state: number;
  /** Byte offset of the shard's inputs. */
  readonly x: number;
  /** Byte offset of the shard's targets. */
  readonly y: number;
  /** Rows (examples) the x and y regions hold. */
  readonly rows: number;
  /** Bytes of one example's input. */
  readonly xRowBytes: number;
  /** Bytes of one example's target. */
  readonly yRowBytes: number;
  /** Bytes of the buffer. */
  readonly bytes: number;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/** The work buffer for `rows` examples of `xRowBytes` and `yRowBytes` bytes each. */
export function workLayout(gradFloats: number, stateFloats: number, rows: number, xRowBytes: number, yRowBytes: number): WorkLayout {
  const grads = 0;
  const state = align(grads + gradFloats * 4);
  const x = align(state + stateFloats * 4);
  const y = align(x + rows * xRowBytes);
  return { grads, state, x, y, rows, xRowBytes, yRowBytes, bytes: align(y + rows * yRowBytes) };
}

/** The data types a batch may hold, and their element sizes. */
export const BATCH_DTYPES = { float32: 4, int32: 4 } as const;

/** A batch tensor's data type. */
export type BatchDtype = keyof typeof BATCH_DTYPES;

/** A typed view of `length` elements of `dtype` at `byteOffset` of a shared buffer. */
export function typedView(buf: SharedArrayBuffer, byteOffset: number, length: number, dtype: BatchDtype): Float32Array | Int32Array {
  return dtype === 'int32' ? new Int32Array(buf, byteOffset, length) : new Float32Array(buf, byteOffset, length);
}
