/**
 * `tensorslim experiment <spec.json>`: a grid of {model, format, ratio, seed} cells, each run as
 * dense training (once per model and seed) and then `compress --baseline` (ADMM + fine-tune and
 * direct decomposition + fine-tune with the same budget). Finished cells are not rerun; results
 * go to results.json, table.md (mean ± std over seeds) and SVG plots.
 *
 * @module
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, fail, writeFileAtomic } from '@tensorslim/core';
import { linePlotSvg, markdownTable, type PlotSeries } from '@tensorslim/admm';

/** The experiment specification (JSON). */
export interface ExperimentSpec {
  /** Name, for titles. */
  readonly name: string;
  /** Dataset of every cell. */
  readonly dataset: string;
  /** The grid: every combination is a cell. */
  readonly grid: { readonly model: readonly string[]; readonly format: readonly string[]; readonly ratio: readonly number[]; readonly seed: readonly number[] };
  /** Flags of `train` for the dense models (camelCase names of the command's flags, e.g. {"epochs": 3}). */
  readonly train?: Readonly<Record<string, string | number | boolean>>;
  /** Flags of `compress` for every cell (e.g. {"admmEpochs": 2, "rho": 0.01}). */
  readonly compress?: Readonly<Record<string, string | number | boolean>>;
  /** Per-model overrides of both, e.g. {"lstm": {"limit": 10000}}. */
  readonly perModel?: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
}

/** One finished (or failed) cell. */
export interface CellResult {
  /** Cell id. */
  readonly id: string;
  /** Model. */
  readonly model: string;
  /** Format. */
  readonly format: string;
  /** Target ratio. */
  readonly ratio: number;
  /** Seed. */
  readonly seed: number;
  /** Dense accuracy. */
  readonly dense: number | null;
  /** ADMM + fine-tune accuracy. */
  readonly admm: number | null;
  /** Direct decomposition + fine-tune accuracy. */
  readonly direct: number | null;
  /** ADMM right after decomposition (before fine-tuning). */
  readonly admmBeforeFinetune: number | null;
  /** Direct right after decomposition. */
  readonly directBeforeFinetune: number | null;
  /** Achieved compression ratio of the compressed layers. */
  readonly achievedRatio: number | null;
  /** Largest primal residual per ADMM update. */
  readonly primal: readonly number[];
  /** Error message when the cell failed. */
  readonly error?: string;
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Turns {admmEpochs: 2, baseline: true} into ['--admm-epochs', '2', '--baseline']. */
export function toFlags(o: Readonly<Record<string, string | number | boolean>> = {}): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v === false ? [] : v === true ? [`--${kebab(k)}`] : [`--${kebab(k)}`, String(v)]));
}

/** Validates a spec read from JSON. */
export function parseSpec(text: string, source: string): ExperimentSpec {
  let s: ExperimentSpec;
  try {
    s = JSON.parse(text) as ExperimentSpec;
  } catch (e) {
    return fail(ErrorCodes.OPTION, `${source} is not valid JSON: ${(e as Error).message}`);
  }
  const g = s?.grid;
  if (!s || typeof s.dataset !== 'string' || !g || !['model', 'format', 'ratio', 'seed'].every((k) => Array.isArray((g as Record<string, unknown>)[k]) && ((g as unknown as Record<string, unknown[]>)[k]!.length > 0))) {
    fail(ErrorCodes.OPTION, `${source} needs "dataset" and "grid" with non-empty "model", "format", "ratio" and "seed" lists`);
  }
  return s;
}

/** The cell id of a combination. */
export function cellId(model: string, format: string, ratio: number, seed: number): string {
  return `${model}-${format}-r${ratio}-s${seed}`;
}

/** Mean and sample standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** Runs one command of this CLI in a child process; resolves with stdout (rejects with stderr's last line). */
export type CommandRunner = (args: string[]) => Promise<string>;

const binPath = fileURLToPath(new URL('../../bin/tensorslim.js', import.meta.url));

/** The default runner: `node packages/cli/bin/tensorslim.js ...args`. */
export const childRunner: CommandRunner = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(err.trim().split('\n').pop() ?? `exit ${code}`));
    });
  });

interface CompressJson {
  dense: { evaluation: { accuracy: number | null } };
  admm: { final: { accuracy: number | null }; afterDecompose: { accuracy: number | null }; compressionRatio: number };
  baseline: { final: { accuracy: number | null }; afterDecompose: { accuracy: number | null } } | null;
  admmHistory: { primal: number }[];
}

async function pool<T>(items: readonly T[], jobs: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, jobs) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Runs (or resumes) the experiment; returns every cell's result. */
export async function runExperiment(
  spec: ExperimentSpec,
  out: string,
  opts: { jobs?: number; runner?: CommandRunner; log?: (s: string) => void } = {},
): Promise<CellResult[]> {
  const run = opts.runner ?? childRunner;
  const log = opts.log ?? (() => {});
  mkdirSync(join(out, 'cells'), { recursive: true });
  mkdirSync(join(out, 'dense'), { recursive: true });
  const g = spec.grid;
  const per = (m: string) => spec.perModel?.[m] ?? {};
  // 1. dense models, once per (model, seed)
  const denseJobs = g.model.flatMap((m) => g.seed.map((s) => ({ m, s })));
  await pool(denseJobs, opts.jobs ?? 1, async ({ m, s }) => {
    const dir = join(out, 'dense', `${m}-s${s}`);
    if (existsSync(join(dir, 'report.json'))) return;
    log(`train ${m} seed ${s}`);
    await run(['train', '--model', m, '--dataset', spec.dataset, '--seed', String(s), '--out', dir, '--json', ...toFlags({ ...spec.train, ...pickTrain(per(m)) })]);
  });
  // 2. cells
  const cells = g.model.flatMap((m) => g.format.flatMap((f) => g.ratio.flatMap((r) => g.seed.map((s) => ({ m, f, r, s })))));
  await pool(cells, opts.jobs ?? 1, async ({ m, f, r, s }) => {
    const id = cellId(m, f, r, s);
    const file = join(out, 'cells', `${id}.json`);
    if (existsSync(file)) return;
    log(`compress ${id}`);
    let result: CellResult;
    try {
      const stdout = await run([
        'compress', '--model', join(out, 'dense', `${m}-s${s}`), '--dataset', spec.dataset, '--format', f, '--ratio', String(r), '--seed', String(s),
        '--baseline', '--pretrain-epochs', '0', '--out', join(out, 'runs', id), '--json', ...toFlags({ ...spec.compress, ...pickCompress(per(m)) }),
      ]);
      const rep = JSON.parse(stdout.trim().split('\n').pop()!) as CompressJson;
      result = {
        id, model: m, format: f, ratio: r, seed: s,
        dense: rep.dense.evaluation.accuracy,
        admm: rep.admm.final.accuracy,
        direct: rep.baseline?.final.accuracy ?? null,
        admmBeforeFinetune: rep.admm.afterDecompose.accuracy,
        directBeforeFinetune: rep.baseline?.afterDecompose.accuracy ?? null,
        achievedRatio: rep.admm.compressionRatio,
        primal: rep.admmHistory.map((u) => u.primal),
      };
    } catch (e) {
      result = { id, model: m, format: f, ratio: r, seed: s, dense: null, admm: null, direct: null, admmBeforeFinetune: null, directBeforeFinetune: null, achievedRatio: null, primal: [], error: (e as Error).message };
    }
    await writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  });
  const results = cells.map(({ m, f, r, s }) => JSON.parse(readFileSync(join(out, 'cells', `${cellId(m, f, r, s)}.json`), 'utf8')) as CellResult);
  await writeExperimentReport(spec, results, out);
  return results;
}

const TRAIN_KEYS = new Set(['limit', 'evalLimit', 'epochs', 'lr', 'batch', 'momentum', 'backend']);
const pickTrain = (o: Readonly<Record<string, string | number | boolean>>) => Object.fromEntries(Object.entries(o).filter(([k]) => TRAIN_KEYS.has(k) || k.startsWith('train')).map(([k, v]) => [k.startsWith('train') ? k[5]!.toLowerCase() + k.slice(6) : k, v]));
const pickCompress = (o: Readonly<Record<string, string | number | boolean>>) => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('train') && k !== 'epochs'));

/** Writes results.json, table.md and the plots. */
export async function writeExperimentReport(spec: ExperimentSpec, results: readonly CellResult[], out: string): Promise<void> {
  await writeFileAtomic(join(out, 'results.json'), JSON.stringify({ spec, results }, null, 2) + '\n');
  const pm = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number');
    if (v.length === 0) return '—';
    const { mean, std, n } = meanStd(v.map((x) => 100 * x));
    return `${mean.toFixed(2)} ± ${std.toFixed(2)}${n < xs.length ? ` (${n}/${xs.length})` : ''}`;
  };
  const rows: (string | number)[][] = [];
  const g = spec.grid;
  for (const m of g.model) {
    const dense = results.filter((c) => c.model === m).map((c) => c.dense);
    rows.push([m, 'dense', '—', '1×', pm(dense), '—']);
    for (const f of g.format)
      for (const r of g.ratio) {
        const cs = results.filter((c) => c.model === m && c.format === f && c.ratio === r);
        const ach = cs.map((c) => c.achievedRatio).filter((x): x is number => x !== null);
        const ratio = ach.length ? `${meanStd(ach).mean.toFixed(2)}×` : 'failed';
        rows.push([m, 'direct + fine-tune', f, ratio, pm(cs.map((c) => c.direct)), pm(cs.map((c) => c.directBeforeFinetune))]);
        rows.push([m, 'ADMM + fine-tune', f, ratio, pm(cs.map((c) => c.admm)), pm(cs.map((c) => c.admmBeforeFinetune))]);
      }
  }
  const failed = results.filter((c) => c.error);
  const md = [
    `# ${spec.name}`,
    '',
    `Accuracy (%) on ${spec.dataset}, mean ± std over seeds ${g.seed.join(', ')}. "Ratio" is the achieved compression of the compressed layers (target ${g.ratio.join('×, ')}×). "Before FT" is right after decomposition.`,
    '',
    markdownTable(['model', 'method', 'format', 'ratio', 'accuracy', 'before FT'], rows),
    '',
    ...(failed.length ? ['Failed cells:', '', ...failed.map((c) => `- ${c.id}: ${c.error}`), ''] : []),
    ...g.model.flatMap((m) => [`![accuracy vs ratio, ${m}](accuracy-${m}.svg)`, '', `![ADMM residuals, ${m}](residuals-${m}.svg)`, '']),
  ].join('\n');
  await writeFileAtomic(join(out, 'table.md'), md);
  for (const m of g.model) {
    const series: PlotSeries[] = [];
    for (const f of g.format)
      for (const method of ['admm', 'direct'] as const) {
        const pts = g.ratio.map((r) => {
          const cs = results.filter((c) => c.model === m && c.format === f && c.ratio === r && c[method] !== null);
          return cs.length ? { x: meanStd(cs.map((c) => c.achievedRatio!)).mean, y: 100 * meanStd(cs.map((c) => c[method]!)).mean } : null;
        }).filter((p): p is { x: number; y: number } => p !== null);
        series.push({ name: `${f} ${method === 'admm' ? 'ADMM' : 'direct'}`, x: pts.map((p) => p.x), y: pts.map((p) => p.y), dashed: method === 'direct' });
      }
    const dense = results.filter((c) => c.model === m && c.dense !== null).map((c) => 100 * c.dense!);
    if (dense.length) {
      const allX = results.filter((c) => c.model === m && c.achievedRatio).map((c) => c.achievedRatio!);
      const d = meanStd(dense).mean;
      series.push({ name: 'dense', x: [Math.min(...allX), Math.max(...allX)], y: [d, d], color: '#000000', dashed: true, markers: false });
    }
    await writeFileAtomic(join(out, `accuracy-${m}.svg`), linePlotSvg({ title: `${m} on ${spec.dataset}: accuracy vs compression`, xLabel: 'compression ratio of the compressed layers', yLabel: 'accuracy (%)', series }));
    const res: PlotSeries[] = results
      .filter((c) => c.model === m && c.seed === g.seed[0] && c.primal.length)
      .map((c) => ({ name: `${c.format} ${c.ratio}×`, x: c.primal.map((_, i) => i + 1), y: c.primal }));
    await writeFileAtomic(join(out, `residuals-${m}.svg`), linePlotSvg({ title: `${m}: ADMM primal residual (seed ${g.seed[0]})`, xLabel: 'Z/U update', yLabel: 'max ‖W−Z‖/‖W‖', logY: true, series: res }));
  }
}

/** Adds `experiment` to the program. */
export function experimentCommand(program: Command): void {
  program
    .command('experiment')
    .description('Run a grid of {model, format, ratio, seed}: dense training, then ADMM + fine-tune and direct decomposition + fine-tune with equal budgets. Resumable: finished cells are not rerun.')
    .argument('<spec.json>', 'the experiment: {"name", "dataset", "grid": {"model", "format", "ratio", "seed"}, "train": {...}, "compress": {...}, "perModel": {...}} (see docs/reproduction.md)')
    .requiredOption('--out <dir>', 'results directory: dense/, cells/, runs/, results.json, table.md, *.svg')
    .option('--jobs <N>', 'cells run in parallel, one process each (default 1)')
    .action(async (specPath: string, flags: { out: string; jobs?: string }) => {
      if (!existsSync(specPath)) fail(ErrorCodes.OPTION, `experiment spec ${specPath} does not exist`);
      const spec = parseSpec(readFileSync(specPath, 'utf8'), specPath);
      const jobs = flags.jobs ? Number(flags.jobs) : 1;
      if (!Number.isInteger(jobs) || jobs < 1) fail(ErrorCodes.OPTION, `--jobs ${flags.jobs} must be a positive integer`);
      const t0 = performance.now();
      const results = await runExperiment(spec, flags.out, { jobs, log: (s) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}\n`) });
      process.stdout.write(`${results.length} cells (${results.filter((r) => r.error).length} failed); table: ${join(flags.out, 'table.md')}\n`);
    });
}
