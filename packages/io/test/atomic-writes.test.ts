/**
 * Crash safety of writes: every file is fsynced before its rename and its directory after it,
 * and a save interrupted between its weights and its model.json leaves the previous save
 * loadable and consistent. `node:fs/promises` is wrapped to record each step and to make one
 * step fail, standing in for a crash at that point.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadModel, saveModel, writeDirAtomic, writeFileAtomic } from '../src/index.js';

/** What the wrapped fs did, and the step to fail. */
const io = vi.hoisted(() => ({ log: [] as string[], failRenameTo: null as null | ((target: string) => boolean) }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (file, ...rest) => {
    const h = await real.open(file, ...rest);
    const name = String(file);
    return new Proxy(h, {
      get(t, k) {
        if (k === 'sync') return async () => (io.log.push(`sync ${name}`), t.sync());
        const v = Reflect.get(t, k) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  };
  const rename: typeof real.rename = async (from, to) => {
    if (io.failRenameTo?.(String(to))) throw Object.assign(new Error(`injected crash before renaming to ${String(to)}`), { code: 'EIO' });
    io.log.push(`rename ${String(from)} -> ${String(to)}`);
    return real.rename(from, to);
  };
  return { ...real, default: { ...real, open, rename }, open, rename };
});

const tmp = mkdtempSync(join(tmpdir(), 'tensorslim-atomic-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => {
  io.log = [];
  io.failRenameTo = null;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The temporary name the log shows for `target` (its sync, then its rename onto target). */
function steps(target: string): string[] {
  const rename = io.log.find((l) => l.startsWith('rename ') && l.endsWith(` -> ${target}`));
  expect(rename, `no rename onto ${target} in:\n${io.log.join('\n')}`).toBeDefined();
  const temp = rename!.slice('rename '.length, rename!.indexOf(' -> '));
  expect(dirname(temp)).toBe(dirname(target));
  expect(basename(temp)).toMatch(new RegExp(`^\\.tmp-${basename(target).replace(/\./g, '\\.')}-\\d+-[a-z0-9]+$`));
  return [`sync ${temp}`, rename!, `sync ${dirname(target)}`];
}

/** Asserts the log holds `expected` in this order (other steps may come between). */
function inOrder(expected: string[]): void {
  let at = -1;
  for (const e of expected) {
    const i = io.log.indexOf(e, at + 1);
    expect(i, `"${e}" after step ${at} in:\n${io.log.join('\n')}`).toBeGreaterThan(at);
    at = i;
  }
}

describe('writeFileAtomic / writeDirAtomic: fsync the data, rename, fsync the directory', () => {
  it('a file: temporary sibling fsynced, renamed over the target, directory fsynced', async () => {
    const f = join(tmp, 'report.json');
    writeFileSync(f, 'old');
    await writeFileAtomic(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    inOrder(steps(f));
    expect(readdirSync(tmp).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });

  it('a directory: each file fsynced, the directory fsynced, renamed, the parent fsynced', async () => {
    const d = join(tmp, 'ckpt-000001');
    await writeDirAtomic(d, { 'tensors.bin': new Uint8Array([1, 2, 3]), 'checkpoint.json': '{}' });
    expect(readFileSync(join(d, 'tensors.bin'))).toEqual(Buffer.from([1, 2, 3]));
    const [syncTemp, rename, syncParent] = steps(d);
    const temp = syncTemp!.slice('sync '.length);
    inOrder([`sync ${join(temp, 'tensors.bin')}`, `sync ${join(temp, 'checkpoint.json')}`, syncTemp!, rename!, syncParent!]);
  });

  it('a failed rename leaves the target as it was and no temporary file or directory', async () => {
    const f = join(tmp, 'keep.txt');
    writeFileSync(f, 'old');
    io.failRenameTo = (t) => t === f;
    await expect(writeFileAtomic(f, 'new')).rejects.toThrow(/injected crash/);
    io.failRenameTo = (t) => t.endsWith('ckpt-000002');
    await expect(writeDirAtomic(join(tmp, 'ckpt-000002'), { a: 'x' })).rejects.toThrow(/injected crash/);
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(existsSync(join(tmp, 'ckpt-000002'))).toBe(false);
    expect(readdirSync(tmp).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });
});

describe('saveModel: model.json never names weights from another save', () => {
  const model = (bias: number) =>
    tfl.sequential({
      name: 'm',
      layers: [
        tfl.layers.dense({ name: 'd', units: 2, inputShape: [3], kernelInitializer: 'zeros', biasInitializer: tfl.initializers.constant({ value: bias }) }),
      ],
    });
  const biasOf = async (dir: string) => {
    const m = await loadModel(dir);
    const b = Array.from(m.getLayer('d').getWeights()[1]!.dataSync());
    m.dispose();
    return b;
  };

  it('a crash after the weights are written and before model.json is: the previous save loads unchanged; the next save cleans up', async () => {
    const dir = join(tmp, 'model');
    const a = model(1);
    await saveModel(a, dir);
    expect(await biasOf(dir)).toEqual([1, 1]);
    const first = readdirSync(dir).sort();

    // save different weights, dying at model.json's rename (the weights file is already in place)
    io.failRenameTo = (t) => t === join(dir, 'model.json');
    const b = model(2);
    await expect(saveModel(b, dir)).rejects.toThrow(/injected crash/);
    expect(await biasOf(dir)).toEqual([1, 1]);
    // (the new weights file had been renamed into place: the crash came between the two writes)
    expect(io.log.some((l) => /rename .* -> .*weights-[0-9a-f]{16}\.bin$/.test(l) && !l.endsWith(first.find((f) => f !== 'model.json')!))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(first);

    // the next save succeeds and leaves exactly its own two files
    io.failRenameTo = null;
    await saveModel(b, dir);
    expect(await biasOf(dir)).toEqual([2, 2]);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toBe('model.json');
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual([`./${files[1]}`]);
    a.dispose();
    b.dispose();
  });

  it('a weights file left by a save that died (as by SIGKILL) is removed by the next save; other files are kept', async () => {
    const dir = join(tmp, 'model2');
    const a = model(3);
    await saveModel(a, dir);
    writeFileSync(join(dir, 'weights-0123456789abcdef.bin'), 'orphan of a killed save');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await saveModel(a, dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'notes.txt', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    expect(await biasOf(dir)).toEqual([3, 3]);
    a.dispose();
  });
});
