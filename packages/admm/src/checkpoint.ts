/**
 * Checkpoints on disk: one directory per checkpoint, written with io's `writeDirAtomic`
 * (every file fsynced in a temporary directory that is fsynced and renamed into place, then the
 * parent fsynced), so a run killed at any moment, or a power cut, leaves only complete
 * checkpoints behind. Each holds `checkpoint.json` (the run state and an index of the tensors)
 * and `tensors.bin` (the tensors, little-endian, 8-byte aligned). Sequence numbers come from the
 * directory names, readable or not, so a damaged newest checkpoint never has its number reused.
 *
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, fail } from '@tensorslim/core';
import { isAtomicTemp, writeDirAtomic } from '@tensorslim/io';

/** A tensor stored in a checkpoint. */
export interface StoredTensor {
  /** Key, unique within the checkpoint (e.g. "w:3", "z:conv2"). */
  readonly key: string;
  /** Shape. */
  readonly shape: readonly number[];
  /** Values; the array type is the stored dtype. */
  readonly data: Float32Array | Float64Array | Int32Array;
}

interface IndexEntry {
  key: string;
  dtype: 'float32' | 'float64' | 'int32';
  shape: number[];
  offset: number;
  length: number;
}

interface CheckpointFile<S> {
  format: 'tensorslim-checkpoint';
  version: 1;
  seq: number;
  tag: string | null;
  createdAt: string;
  bytes: number;
  tensors: IndexEntry[];
  state: S;
}

/** A checkpoint found on disk. */
export interface CheckpointInfo<S = unknown> {
  /** Its directory. */
  readonly path: string;
  /** Sequence number (higher = newer). */
  readonly seq: number;
  /** Tag of a phase-end checkpoint (kept forever), `null` for periodic ones (only the newest few are kept). */
  readonly tag: string | null;
  /** The run state stored with it. */
  readonly state: S;
}

const NAME = /^ckpt-(\d{6,})(?:-([a-z0-9-]+))?$/;
const FILE = 'checkpoint.json';
const BIN = 'tensors.bin';

function dtypeOf(a: StoredTensor['data']): IndexEntry['dtype'] {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return fail(ErrorCodes.CHECKPOINT, 'checkpoint tensors must be Float32Array, Float64Array or Int32Array');
}

/** A directory of checkpoints. */
export class CheckpointStore<S = unknown> {
  /** The directory. */
  readonly dir: string;
  /** Periodic (untagged) checkpoints kept besides the newest tagged ones. */
  readonly keep: number;

  /** Opens (and creates) a checkpoint directory; removes leftovers of interrupted writes. */
  constructor(dir: string, opts: { keep?: number } = {}) {
    this.dir = dir;
    this.keep = Math.max(1, opts.keep ?? 2);
    mkdirSync(dir, { recursive: true });
    for (const e of readdirSync(dir)) {
      if (isAtomicTemp(e) || e.startsWith('.trash-')) rmSync(join(dir, e), { recursive: true, force: true });
    }
  }

  /** Complete checkpoints, oldest first (incomplete or unreadable ones are skipped). */
  list(): CheckpointInfo<S>[] {
    const out: CheckpointInfo<S>[] = [];
    for (const e of readdirSync(this.dir)) {
      const m = NAME.exec(e);
      if (!m) continue;
      const info = this.readInfo(join(this.dir, e));
      if (info) out.push(info);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The newest complete checkpoint, or null. */
  latest(): CheckpointInfo<S> | null {
    const all = this.list();
    return all.length ? all[all.length - 1]! : null;
  }

  /** The newest checkpoint with this tag, or null. */
  findTag(tag: string): CheckpointInfo<S> | null {
    const all = this.list().filter((c) => c.tag === tag);
    return all.length ? all[all.length - 1]! : null;
  }

  /**
   * The next sequence number: one above every checkpoint directory's, complete or not (an
   * unreadable newest checkpoint keeps its number, so the next one sorts after it).
   */
  private nextSeq(): number {
    let max = 0;
    for (const e of readdirSync(this.dir)) {
      const m = NAME.exec(e);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }

  /** Writes a checkpoint atomically and durably; returns its directory. Prunes old periodic checkpoints. */
  async write(state: S, tensors: readonly StoredTensor[], tag: string | null = null): Promise<string> {
    if (tag !== null && !/^[a-z0-9-]+$/.test(tag)) fail(ErrorCodes.CHECKPOINT, `checkpoint tag "${tag}" must be lowercase letters, digits and dashes`);
    const seq = this.nextSeq();
    const name = `ckpt-${String(seq).padStart(6, '0')}${tag ? `-${tag}` : ''}`;
    const index: IndexEntry[] = [];
    let offset = 0;
    for (const t of tensors) {
      const dtype = dtypeOf(t.data);
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (n !== t.data.length) fail(ErrorCodes.CHECKPOINT, `tensor ${t.key}: ${t.data.length} values do not fill shape [${t.shape.join(', ')}]`);
      index.push({ key: t.key, dtype, shape: [...t.shape], offset, length: t.data.length });
      offset += Math.ceil(t.data.byteLength / 8) * 8;
    }
    const bin = new Uint8Array(offset);
    tensors.forEach((t, i) => bin.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), index[i]!.offset));
    const file: CheckpointFile<S> = {
      format: 'tensorslim-checkpoint',
      version: 1,
      seq,
      tag,
      createdAt: new Date().toISOString(),
      bytes: offset,
      tensors: index,
      state,
    };
    const final = join(this.dir, name);
    await writeDirAtomic(final, { [BIN]: bin, [FILE]: JSON.stringify(file) });
    this.prune();
    return final;
  }

  /** Reads a checkpoint's tensors (by key). */
  readTensors(path: string): Map<string, StoredTensor> {
    const file = this.readFile(path);
    if (!file) fail(ErrorCodes.CHECKPOINT, `checkpoint ${path} is missing or incomplete`, 'resume from another checkpoint or start a new run');
    const buf = readFileSync(join(path, BIN));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const out = new Map<string, StoredTensor>();
    for (const e of file.tensors) {
      const data =
        e.dtype === 'float32'
          ? new Float32Array(ab, e.offset, e.length)
          : e.dtype === 'float64'
            ? new Float64Array(ab, e.offset, e.length)
            : new Int32Array(ab, e.offset, e.length);
      out.set(e.key, { key: e.key, shape: e.shape, data });
    }
    return out;
  }

  private readFile(path: string): CheckpointFile<S> | null {
    try {
      const file = JSON.parse(readFileSync(join(path, FILE), 'utf8')) as CheckpointFile<S>;
      if (file.format !== 'tensorslim-checkpoint' || file.version !== 1) return null;
      if (!existsSync(join(path, BIN)) || statSync(join(path, BIN)).size !== file.bytes) return null;
      return file;
    } catch {
      return null;
    }
  }

  private readInfo(path: string): CheckpointInfo<S> | null {
    const f = this.readFile(path);
    return f ? { path, seq: f.seq, tag: f.tag, state: f.state } : null;
  }

  private prune(): void {
    const periodic = this.list().filter((c) => c.tag === null);
    for (const c of periodic.slice(0, Math.max(0, periodic.length - this.keep))) {
      const trash = join(this.dir, `.trash-${c.seq}-${process.pid}`);
      renameSync(c.path, trash);
      rmSync(trash, { recursive: true, force: true });
    }
  }
}
