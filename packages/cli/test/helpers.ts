import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Runs `tensorslim ...args` in a fresh Node process, from the workspace's TypeScript sources
 * (scripts/ts-register.mjs transpiles them), and captures what it prints — the way a user runs it.
 */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', join(root, 'scripts', 'ts-register.mjs'), join(root, 'packages', 'cli', 'test', 'fixtures', 'cli.ts'), ...args],
      {
        cwd: opts.cwd ?? root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

/** The last JSON line of a command's stdout. */
export function lastJson<T = Record<string, unknown>>(out: string): T {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
