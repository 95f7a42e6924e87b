import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { maxRelDiff } from './helpers/fixtures.js';

const here = join(dirname(fileURLToPath(import.meta.url)), 'helpers');

interface JobResult {
  compressed: number[][];
  dense: number[][];
  admmHistory: number[][];
  final: { loss: number; accuracy: number };
}

function job(dir: string, out: string, mode: 'fresh' | 'resume', slowMs: number) {
  const child = spawn(
    process.execPath,
    ['--import', join(here, '..', '..', '..', '..', 'scripts', 'ts-register.mjs'), join(here, 'resume-job.ts'), dir, out, mode, String(slowMs)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  return { child, done, stderr: () => stderr };
}

/** A complete checkpoint taken in the middle of the ADMM phase (mid-epoch), if one exists. */
function midAdmmCheckpoint(dir: string): string | null {
  if (!existsSync(dir)) return null;
  for (const e of readdirSync(dir)) {
    if (!/^ckpt-\d+$/.test(e)) continue;
    try {
      const s = JSON.parse(readFileSync(join(dir, e, 'checkpoint.json'), 'utf8')).state;
      if (s.stage === 'admm' && s.position && s.position.epoch === 1 && s.position.step > 0) return e;
    } catch {
      // being written or pruned: try again
    }
  }
  return null;
}

describe('checkpoints: killed with SIGKILL and resumed = uninterrupted', () => {
  it('ends with bit-identical weights, residuals and loss to an uninterrupted run with the same seed (cpu backend)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'admm-resume-'));
    const ckpt = join(tmp, 'ckpt');
    const victim = job(ckpt, join(tmp, 'victim.json'), 'fresh', 60);
    let seen: string | null = null;
    const t0 = Date.now();
    while (!seen && Date.now() - t0 < 60_000) {
      seen = midAdmmCheckpoint(ckpt);
      if (!seen) await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen, victim.stderr()).not.toBeNull();
    victim.child.kill('SIGKILL');
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(tmp, 'victim.json'))).toBe(false); // it did not finish

    // resume it; the same child then runs the job uninterrupted (same seed, no checkpoints) as the reference
    const resumed = job(ckpt, join(tmp, 'resumed.json'), 'resume', 0);
    const r = await resumed.done;
    expect(r.code, resumed.stderr()).toBe(0);
    const { resumed: b, reference: a } = JSON.parse(readFileSync(join(tmp, 'resumed.json'), 'utf8')) as { resumed: JobResult; reference: JobResult };
    expect(b.compressed.length).toBe(a.compressed.length);
    expect(b.compressed.length).toBe(8); // fc1: v, u, bias; fc2: v, u, bias; fc3: kernel, bias
    // exact: every float32 weight (stored as the double it widens to), every residual, the loss
    expect(b.compressed, `max rel. diff ${maxRelDiff(b.compressed, a.compressed)}`).toEqual(a.compressed);
    expect(b.dense, `max rel. diff ${maxRelDiff(b.dense, a.dense)}`).toEqual(a.dense);
    expect(b.admmHistory).toEqual(a.admmHistory);
    expect(b.final).toEqual(a.final);
    expect(a.admmHistory).toHaveLength(3);
    rmSync(tmp, { recursive: true, force: true });
  }, 60_000);
});
