/**
 * Crash safety of the checkpoints: they go through core's durable atomic writes (fsync of each
 * file, rename, fsync of the directory), and a damaged newest checkpoint never has its sequence
 * number reused. `node:fs/promises` is wrapped to record the fsyncs and renames. (The report's
 * writer is tested in @tensorslim/report.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../src/index.js';

const io = vi.hoisted(() => ({ log: [] as string[] }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (file, ...rest) => {
    const h = await real.open(file, ...rest);
    const sync = h.sync.bind(h);
    h.sync = async () => (io.log.push(`sync ${String(file)}`), sync());
    return h;
  };
  const rename: typeof real.rename = async (from, to) => (io.log.push(`rename ${basename(String(from))} -> ${String(to)}`), real.rename(from, to));
  return { ...real, default: { ...real, open, rename }, open, rename };
});

const tmp = mkdtempSync(join(tmpdir(), 'admm-crash-'));
beforeEach(() => {
  io.log = [];
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts `target` was written durably: a fsynced temporary renamed onto it, then its directory fsynced. */
function durable(target: string, dir: string): void {
  const i = io.log.findIndex((l) => l.startsWith('rename .tmp-') && l.endsWith(` -> ${target}`));
  expect(i, `no rename onto ${target} in:\n${io.log.join('\n')}`).toBeGreaterThanOrEqual(0);
  const temp = io.log[i]!.slice('rename '.length, io.log[i]!.indexOf(' -> '));
  expect(
    io.log.slice(0, i).some((l) => l === `sync ${join(dir, temp)}`),
    `${temp} fsynced before its rename`,
  ).toBe(true);
  expect(io.log.slice(i + 1)).toContain(`sync ${dir}`);
}

const tensors = [{ key: 'w', shape: [2], data: new Float32Array([1.5, -2]) }];

describe('CheckpointStore', () => {
  it('writes each checkpoint durably: both files fsynced, the directory fsynced, renamed, the parent fsynced', async () => {
    const dir = join(tmp, 'durable');
    const s = new CheckpointStore<{ n: number }>(dir);
    const path = await s.write({ n: 1 }, tensors, 'start');
    expect(basename(path)).toBe('ckpt-000001-start');
    durable(path, dir);
    const temp = io.log
      .find((l) => l.endsWith(` -> ${path}`))!
      .slice('rename '.length)
      .split(' -> ')[0]!;
    for (const f of ['tensors.bin', 'checkpoint.json', '']) expect(io.log).toContain(`sync ${join(dir, temp, f)}`);
  });

  it('a newest checkpoint that cannot be read keeps its sequence number: the next one gets a higher one', async () => {
    const dir = join(tmp, 'seq');
    const s = new CheckpointStore<{ n: number }>(dir, { keep: 5 });
    for (let n = 1; n <= 3; n++) await s.write({ n }, tensors);
    writeFileSync(join(dir, 'ckpt-000003', 'checkpoint.json'), '{"format": "tensorslim-chec'); // torn by a disk fault
    expect(s.latest()!.seq).toBe(2);
    const p4 = await s.write({ n: 4 }, tensors);
    expect(basename(p4)).toBe('ckpt-000004');
    expect(s.latest()!.state.n).toBe(4);
    // a damaged tagged one too: no two directories share a number
    const p5 = await s.write({ n: 5 }, tensors, 'admm-end');
    rmSync(join(p5, 'tensors.bin'));
    const p6 = await s.write({ n: 6 }, tensors, 'admm-end');
    expect(basename(p6)).toBe('ckpt-000006-admm-end');
    expect(s.findTag('admm-end')!.state.n).toBe(6);
    const seqs = readdirSync(dir).map((e) => Number(/^ckpt-(\d+)/.exec(e)![1]));
    expect(seqs.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.list().map((c) => c.seq)).toEqual([1, 2, 4, 6]);
    expect(JSON.parse(readFileSync(join(p6, 'checkpoint.json'), 'utf8')).seq).toBe(6);
  });
});
