/**
 * Running an experiment: each model is trained dense once per seed (`train`); each cell then runs
 * `compress` from that dense model with the model's own default plan (or the spec's plan file)
 * and three arms: ADMM + fine-tune, direct decomposition + fine-tune, and direct with the same
 * total epochs as ADMM (dense training continued for the ADMM epochs, then decomposition +
 * fine-tune). The commands run through a {@link CommandRunner} (the command line's: a child
 * process of the `tensorslim` command). Finished cells are not rerun; failed ones are.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { ErrorCodes, fail } from '@tensorslim/core';
import { writeFileAtomic } from '@tensorslim/io';
import { defaultPlan, MODEL_NAMES } from '@tensorslim/models';
import { cellId, type CellLayer, type CellResult } from './cell.js';
import { writeExperimentReport } from './report.js';
import { checkSpec, pickCompress, pickTrain, toFlags, type CommandFlagNames, type ExperimentSpec } from './spec.js';

/**
 * Runs one command of the `tensorslim` command line (`['train', '--model', ...]`); resolves with
 * its stdout, rejects with an error whose message is the last line of its stderr.
 */
export type CommandRunner = (args: string[]) => Promise<string>;

/** A runner that runs `node <bin> ...args` in a child process: the command line passes its own bin/tensorslim.js. */
export function childRunner(bin: string): CommandRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new Error(err.trim().split('\n').pop() ?? `exit ${code}`));
      });
    });
}

interface ArmJson {
  final: { accuracy: number | null };
  afterDecompose: { accuracy: number | null };
  trained: { accuracy: number | null } | null;
}

interface CompressJson {
  settings: { admmEpochs: number; finetuneEpochs: number; pretrainEpochs: number };
  dense: { evaluation: { accuracy: number | null }; params: number };
  admm: ArmJson & { compressionRatio: number; layers: CellLayer[] };
  baseline: ArmJson | null;
  continued: ArmJson | null;
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

/** A command without its `--threads N` (the thread count changes float rounding, not what a run is). */
function withoutThreads(command: readonly string[]): string[] {
  return command.filter((a, i) => a !== '--threads' && command[i - 1] !== '--threads');
}

/**
 * Whether a cell file records a finished run of this very command (its thread count aside): failed
 * cells, cells run with other flags or plans (or by an older runner), unreadable and missing files
 * are run (again).
 */
function finished(file: string, command: readonly string[]): boolean {
  if (!existsSync(file)) return false;
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as CellResult;
    return !c.error && JSON.stringify(withoutThreads(c.command)) === JSON.stringify(withoutThreads(command));
  } catch {
    return false;
  }
}

/**
 * The plan file of every (model, format, ratio): the spec's (placeholders filled in), or the
 * model's built-in default plan written to `out/plans/`. Refuses, before anything runs, a model
 * that is not built in and has no plan file, a plan path that leaves a grid axis out, and a plan
 * file that does not exist.
 */
async function preparePlans(spec: ExperimentSpec, out: string): Promise<Map<string, string>> {
  const g = spec.grid;
  const plans = new Map<string, string>();
  for (const m of g.model) {
    const template = spec.plans?.[m];
    if (template === undefined && !MODEL_NAMES.includes(m)) {
      fail(
        ErrorCodes.OPTION,
        `grid model "${m}" is not a built-in model (${MODEL_NAMES.join(', ')})`,
        `name its plan file in "plans": {"${m}": "plan-{format}-{ratio}.json"}`,
      );
    }
    for (const [axis, values] of [
      ['format', g.format],
      ['ratio', g.ratio],
    ] as const) {
      if (template !== undefined && values.length > 1 && !template.includes(`{${axis}}`)) {
        fail(
          ErrorCodes.OPTION,
          `plans.${m} (${template}) is one file for ${values.length} values of ${axis}`,
          `put {${axis}} in the path, one plan file per ${axis}`,
        );
      }
    }
    for (const f of g.format) {
      for (const r of g.ratio) {
        const p = template?.replaceAll('{format}', f).replaceAll('{ratio}', String(r)) ?? join(out, 'plans', `${m}-${f}-r${r}.json`);
        if (template !== undefined && !existsSync(p)) fail(ErrorCodes.PLAN, `plan file ${p} (plans.${m}, format ${f}, ratio ${r}) does not exist`);
        plans.set(planKey(m, f, r), p);
      }
    }
  }
  mkdirSync(join(out, 'plans'), { recursive: true });
  for (const m of g.model.filter((m) => spec.plans?.[m] === undefined)) {
    for (const f of g.format)
      for (const r of g.ratio) await writeFileAtomic(plans.get(planKey(m, f, r))!, JSON.stringify(defaultPlan(m, f, r), null, 2) + '\n');
  }
  return plans;
}

const planKey = (m: string, f: string, r: number) => JSON.stringify([m, f, r]);

/** Epochs of a dense model trained by `train`, from its report; null when there is none. */
function denseEpochs(dir: string): number | null {
  try {
    return (JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { history: unknown[] }).history.length;
  } catch {
    return null;
  }
}

/** What a cell is before it runs. */
type CellBase = Pick<CellResult, 'id' | 'model' | 'format' | 'ratio' | 'seed' | 'plan' | 'command'>;

/** The numbers of a cell that failed. */
const NO_RESULTS: Omit<CellResult, keyof CellBase | 'error'> = {
  layers: [],
  modelParams: null,
  epochs: null,
  dense: null,
  admm: null,
  admmTrained: null,
  admmBeforeFinetune: null,
  direct: null,
  directBeforeFinetune: null,
  continued: null,
  continuedTrained: null,
  continuedBeforeFinetune: null,
  achievedRatio: null,
  primal: [],
  finalPrimal: null,
};

/** A cell's result from `compress --json`'s report. */
function cellFromReport(base: CellBase, rep: CompressJson, dense: number | null): CellResult {
  const primal = rep.admmHistory.map((u) => u.primal);
  return {
    ...base,
    layers: rep.admm.layers.map((l) => ({ name: l.name, paramsBefore: l.paramsBefore, paramsAfter: l.paramsAfter })),
    modelParams: rep.dense.params,
    epochs: { dense: dense === null ? null : dense + rep.settings.pretrainEpochs, admm: rep.settings.admmEpochs, finetune: rep.settings.finetuneEpochs },
    dense: rep.dense.evaluation.accuracy,
    admm: rep.admm.final.accuracy,
    admmTrained: rep.admm.trained?.accuracy ?? null,
    admmBeforeFinetune: rep.admm.afterDecompose.accuracy,
    direct: rep.baseline?.final.accuracy ?? null,
    directBeforeFinetune: rep.baseline?.afterDecompose.accuracy ?? null,
    continued: rep.continued?.final.accuracy ?? null,
    continuedTrained: rep.continued?.trained?.accuracy ?? null,
    continuedBeforeFinetune: rep.continued?.afterDecompose.accuracy ?? null,
    achievedRatio: rep.admm.compressionRatio,
    primal,
    finalPrimal: primal.length ? primal[primal.length - 1]! : null,
  };
}

/** How {@link runExperiment} runs the cells. */
export interface ExperimentOptions {
  /** Runs `train` and `compress` (the command line's {@link childRunner}; tests answer in process). */
  readonly runner: CommandRunner;
  /** The flags of `train` and `compress`: with them, a spec naming another flag is refused before anything runs. */
  readonly flags?: CommandFlagNames;
  /** Runs in parallel, one process each (default 1). */
  readonly jobs?: number;
  /** Training threads of every run, passed as their `--threads` (default {@link experimentThreads} of `jobs`). */
  readonly threads?: number;
  /** Progress lines ("train lenet5 seed 1", "compress <cell>", "rerun <cell>"). */
  readonly log?: (line: string) => void;
}

/**
 * Runs (or resumes) the experiment `spec` in the directory `out` (dense/, plans/, cells/, runs/,
 * results.json, table.md, *.svg); returns every cell's result. Dense models and cells recorded
 * by the same command (thread count aside) are kept; failed cells, and ones recorded with other
 * flags or plans, run again.
 */
export async function runExperiment(specIn: ExperimentSpec, out: string, opts: ExperimentOptions): Promise<CellResult[]> {
  const spec = checkSpec(specIn, undefined, opts.flags);
  const run = opts.runner;
  const log = opts.log ?? (() => {});
  mkdirSync(join(out, 'cells'), { recursive: true });
  mkdirSync(join(out, 'dense'), { recursive: true });
  const g = spec.grid;
  const plans = await preparePlans(spec, out);
  const per = (m: string) => spec.perModel?.[m] ?? {};
  // every run trains on the same thread count (recorded in each command; a finished run is not rerun for another)
  const threads = ['--threads', String(opts.threads ?? experimentThreads(opts.jobs ?? 1))];
  // 1. dense models, once per (model, seed); one trained with other flags is trained again
  const denseJobs = g.model.flatMap((m) => g.seed.map((s) => ({ m, s })));
  await pool(denseJobs, opts.jobs ?? 1, async ({ m, s }) => {
    const dir = join(out, 'dense', `${m}-s${s}`);
    const command = [
      'train',
      '--model',
      m,
      '--dataset',
      spec.dataset,
      '--seed',
      String(s),
      '--out',
      dir,
      '--json',
      ...threads,
      ...toFlags({ ...spec.train, ...pickTrain(per(m)) }),
    ];
    const done = join(dir, 'command.json');
    const same = () => JSON.stringify(withoutThreads(JSON.parse(readFileSync(done, 'utf8')) as string[])) === JSON.stringify(withoutThreads(command));
    if (existsSync(join(dir, 'report.json')) && existsSync(done) && same()) return;
    log(`train ${m} seed ${s}`);
    await run(command);
    await writeFileAtomic(done, JSON.stringify(command));
  });
  // 2. cells: finished ones are kept; failed ones, and ones run with other flags, run again
  const cells = g.model.flatMap((m) => g.format.flatMap((f) => g.ratio.flatMap((r) => g.seed.map((s) => ({ m, f, r, s })))));
  await pool(cells, opts.jobs ?? 1, async ({ m, f, r, s }) => {
    const id = cellId(m, f, r, s);
    const file = join(out, 'cells', `${id}.json`);
    const plan = plans.get(planKey(m, f, r))!;
    const denseDir = join(out, 'dense', `${m}-s${s}`);
    const command = [
      'compress',
      '--model',
      denseDir,
      '--dataset',
      spec.dataset,
      '--plan',
      plan,
      '--seed',
      String(s),
      '--baseline',
      '--continued-baseline',
      '--pretrain-epochs',
      '0',
      '--out',
      join(out, 'runs', id),
      '--json',
      ...threads,
      ...toFlags({ ...spec.compress, ...pickCompress(per(m)) }),
    ];
    if (finished(file, command)) return;
    log(`${existsSync(file) ? 'rerun' : 'compress'} ${id}`);
    const base: CellBase = { id, model: m, format: f, ratio: r, seed: s, plan, command };
    let result: CellResult;
    try {
      const stdout = await run(command);
      result = cellFromReport(base, JSON.parse(stdout.trim().split('\n').pop()!) as CompressJson, denseEpochs(denseDir));
    } catch (e) {
      result = { ...base, ...NO_RESULTS, error: (e as Error).message };
    }
    await writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  });
  const results = cells.map(({ m, f, r, s }) => JSON.parse(readFileSync(join(out, 'cells', `${cellId(m, f, r, s)}.json`), 'utf8')) as CellResult);
  await writeExperimentReport(spec, results, out);
  return results;
}

/** Training threads of each run when `--threads` is not given: the cores shared among the jobs (at least 1). */
export function experimentThreads(jobs: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / jobs));
}
