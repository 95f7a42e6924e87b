// Helpers shared by the benchmarks: run a python3/numpy snippet pinned to one BLAS thread.
import { spawnSync } from 'node:child_process';

/** True when python3 with numpy is available. */
export function hasNumpy() {
  const r = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * Runs python code that prints one JSON line on stdout, with one BLAS thread and the
 * OpenBLAS core-type overrides unset (they slow a current numpy). Returns the parsed JSON.
 */
export function runPython(code) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Median of a list. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The clock the benchmarks read: 'wall' (default) or, with TSBENCH_CLOCK=cpu, this process's CPU
 * time (Node's process.cpuUsage, python's time.process_time): on a machine shared with other jobs
 * a steadier figure for single-threaded code, as time spent waiting for a core is not counted.
 */
export const CLOCK = process.env.TSBENCH_CLOCK === 'cpu' ? 'cpu' : 'wall';

/** Milliseconds on {@link CLOCK}. */
export function now() {
  if (CLOCK === 'wall') return performance.now();
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** The python expression that reads the same clock, in seconds. */
export const PY_CLOCK = CLOCK === 'cpu' ? 'time.process_time()' : 'time.perf_counter()';

/** Median time in ms ({@link CLOCK}) of fn over `repeat` runs after one warm-up. Returns {ms, last}. */
export function timeIt(fn, repeat = 5) {
  let last = fn();
  const t = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = now();
    last = fn();
    t.push(now() - t0);
  }
  return { ms: median(t), last };
}
