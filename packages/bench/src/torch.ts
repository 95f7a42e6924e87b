/**
 * The PyTorch CPU reference of `bench train`: find a python that imports torch, run
 * `python/torch_train.py` (the same architecture, batch, SGD momentum and cross-entropy, NCHW) at
 * the requested thread counts, and read its JSON.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The script, shipped in the package's `python/` folder (the same place from src/ and dist/). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../python/torch_train.py', import.meta.url));

/**
 * The pythons tried, in order: Debian's python3-torch installs torch for the system python only,
 * which a pyenv or venv `python3` on PATH hides.
 */
export const TORCH_PYTHONS: readonly string[] = ['/usr/bin/python3', 'python3'];

/** What a process run returned. */
export interface ProcessResult {
  /** Exit status (null when it could not start or was killed). */
  status: number | null;
  /** Standard output. */
  stdout: string;
  /** Standard error (or why it could not start). */
  stderr: string;
}

/** Runs a command to completion (injectable, so tests need no python). */
export type ProcessRunner = (cmd: string, args: readonly string[], timeoutMs: number) => ProcessResult;

/** The default runner: spawnSync with the environment as it is. */
export const spawnRunner: ProcessRunner = (cmd, args, timeoutMs) => {
  const r = spawnSync(cmd, [...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') };
};

/** Where torch was found, or why not. */
export type TorchDetection = { found: true; python: string; version: string } | { found: false; tried: string[] };

/** The first python of `candidates` that imports torch (with its version), or what each attempt said. */
export function detectTorch(candidates: readonly string[] = TORCH_PYTHONS, run: ProcessRunner = spawnRunner): TorchDetection {
  const tried: string[] = [];
  for (const py of candidates) {
    const r = run(py, ['-c', 'import torch; print(torch.__version__)'], 60_000);
    if (r.status === 0) return { found: true, python: py, version: r.stdout.trim() };
    const why = r.stderr.trim().split('\n').pop() || `exit status ${r.status}`;
    tried.push(`${py}: ${why}`);
  }
  return { found: false, tried };
}

/** One thread count's figures from the script. */
export interface TorchRun {
  /** torch.set_num_threads. */
  threads: number;
  /** Images per second over the timed steps. */
  imgPerSec: number;
  /** Median wall ms per step. */
  msPerStep: number;
  /** Median CPU ms per step (all threads). */
  cpuMsPerStep: number;
}

/** The script's output. */
export interface TorchReport {
  /** torch.__version__. */
  torch: string;
  /** Per thread count. */
  runs: TorchRun[];
}

/** Runs the reference; throws with python's last error line when it fails. */
export function runTorchReference(
  python: string,
  o: { model: string; batch: number; steps: number; warmup: number; threads: readonly number[]; inputShape?: readonly number[]; classes?: number },
  run: ProcessRunner = spawnRunner,
): TorchReport {
  const args = [
    TORCH_SCRIPT,
    '--model',
    o.model,
    '--batch',
    String(o.batch),
    '--steps',
    String(o.steps),
    '--warmup',
    String(o.warmup),
    '--threads',
    o.threads.join(','),
  ];
  if (o.inputShape) args.push('--input-shape', o.inputShape.join(','));
  if (o.classes) args.push('--classes', String(o.classes));
  const r = run(python, args, 30 * 60_000);
  if (r.status !== 0) throw new Error(`${python} ${TORCH_SCRIPT} failed: ${r.stderr.trim().split('\n').pop() ?? `exit status ${r.status}`}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as TorchReport;
}
