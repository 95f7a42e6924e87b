/**
 * Durable atomic writes: the one way tensorslim writes a file or a directory that must survive
 * a crash or a power cut (saved models, checkpoints, reports, experiment results).
 *
 * A file ({@link writeFileAtomic}): written to a temporary sibling `.tmp-<name>-<pid>-<random>`,
 * fsynced, renamed over the target, then the directory is fsynced so the rename itself is on
 * disk. A directory ({@link writeDirAtomic}): every file written and fsynced inside a temporary
 * sibling directory, that directory fsynced, renamed to the target name, the parent fsynced.
 * Readers see the old content or the new one, never a part; a failure removes the temporary
 * file or directory and rethrows, leaving the target as it was.
 *
 * Where a platform cannot fsync a directory (Windows refuses to open one), that step is skipped:
 * the rename is still atomic there, only its durability is the file system's.
 *
 * Several files that refer to each other (a model.json and its weights) are not made atomic as a
 * group by writing each atomically: see `saveModel` for how a save stays consistent.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';

/** The prefix of every temporary file or directory these helpers create. */
export const ATOMIC_TEMP_PREFIX = '.tmp-';

/** Whether a directory entry is the leftover of an interrupted atomic write (safe to remove when no write is running). */
export function isAtomicTemp(name: string): boolean {
  return name.startsWith(ATOMIC_TEMP_PREFIX);
}

async function nodeFs() {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, path };
}

function tempSibling(path: { dirname(p: string): string; basename(p: string): string; join(...p: string[]): string }, target: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(target), `${ATOMIC_TEMP_PREFIX}${path.basename(target)}-${process.pid}-${rand}`);
}

type Fs = Awaited<ReturnType<typeof nodeFs>>['fs'];

/** Writes `data` to a new file and fsyncs it before closing. */
async function writeSynced(fs: Fs, file: string, data: Uint8Array | string): Promise<void> {
  const h = await fs.open(file, 'wx');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Error codes of platforms that cannot open or fsync a directory (the step is skipped there). */
const NO_DIR_SYNC = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP']);

/** Fsyncs a directory, so that entries created or renamed in it are on disk. */
async function syncDir(fs: Fs, dir: string): Promise<void> {
  let h: FileHandle;
  try {
    h = await fs.open(dir, 'r');
  } catch (e) {
    if (NO_DIR_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
  try {
    await h.sync();
  } catch (e) {
    if (!NO_DIR_SYNC.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  } finally {
    await h.close();
  }
}

/**
 * Writes one file durably and atomically: temporary sibling, fsync, rename over `path`, fsync
 * of the directory. The directory must exist.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const { fs, path: p } = await nodeFs();
  const tmp = tempSibling(p, path);
  try {
    await writeSynced(fs, tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncDir(fs, p.dirname(path));
}

/**
 * Creates the directory `dir` durably and atomically with the given files (name → contents, in
 * the order given): they are written and fsynced in a temporary sibling directory, which is
 * fsynced and renamed to `dir`; then the parent is fsynced. `dir` must not exist yet, or be an
 * empty directory (the rename fails on a non-empty one, and nothing is changed); its parent must
 * exist.
 */
export async function writeDirAtomic(dir: string, files: Readonly<Record<string, Uint8Array | string>>): Promise<void> {
  const { fs, path: p } = await nodeFs();
  const tmp = tempSibling(p, dir);
  try {
    await fs.mkdir(tmp);
    for (const [name, data] of Object.entries(files)) await writeSynced(fs, p.join(tmp, name), data);
    await syncDir(fs, tmp);
    await fs.rename(tmp, dir);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await syncDir(fs, p.dirname(dir));
}
