/**
 * Atomic file writes: write to a temporary file in the same directory, flush it, then rename it
 * over the target. A failure before the rename leaves the target as it was.
 *
 * @module
 */

/** One file of an atomic group write. */
export interface FileToWrite {
  /** Target path. */
  readonly path: string;
  /** Contents. */
  readonly data: Uint8Array | string;
}

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Writes several files so that each target is replaced only after every one of them was written
 * and flushed: all go to temporary files first, then they are renamed in the order given (put
 * the file that refers to the others last). Temporary files are removed on failure (the error is
 * rethrown), and nothing already at the targets is lost.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[]): Promise<void> {
  const fs = await import('node:fs/promises');
  const temps: string[] = [];
  try {
    for (const f of files) {
      const tmp = tempName(f.path);
      temps.push(tmp);
      const h = await fs.open(tmp, 'w');
      try {
        await h.writeFile(f.data);
        await h.sync();
      } finally {
        await h.close();
      }
    }
  } catch (e) {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
    throw e;
  }
  for (let i = 0; i < files.length; i++) await fs.rename(temps[i]!, files[i]!.path);
}

/** Writes one file atomically (temporary file, flush, rename). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await writeFilesAtomic([{ path, data }]);
}
