/**
 * `tensorslim experiment <spec.json>`: a grid of {model, format, ratio, seed} cells. Each model
 * is trained dense once per seed (`train`); each cell then runs `compress` from that dense model
 * with the model's own default plan (or the spec's plan file) and three arms: ADMM + fine-tune,
 * direct decomposition + fine-tune, and direct with the same total epochs as ADMM (dense training
 * continued for the ADMM epochs, then decomposition + fine-tune). Finished cells are not rerun;
 * failed ones are. Results go to results.json, table.md (mean ± std over seeds) and SVG plots.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { ARM_LABELS, budgetText, CONVERGED_PRIMAL, epochBudget, linePlotSvg, markdownTable, type Arm, type PlotSeries } from '@tensorslim/admm';
import { ErrorCodes, fail, opt, parseOptions } from '@tensorslim/core';
import { writeFileAtomic } from '@tensorslim/io';
import { DATASET_NAMES, defaultPlan, MODEL_NAMES } from '@tensorslim/models';
import { FLAGS } from '../context.js';
import { addFlags, kebab, parseFlags, type FlagsInput } from '../schema-flags.js';
import { threadsFlag } from '../threads.js';
import { compressFlagsSchema } from './compress.js';
import { trainFlagsSchema } from './train.js';

/** Flags of a command, by their camel-case names, as a spec gives them: {"admmEpochs": 2, "baseline": true}. */
const flagValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1);

/** Names in `o` that are not flags of the command whose schema is `schema`. */
function unknownFlags(o: Readonly<Record<string, unknown>> | undefined, schema: z.ZodObject, strip: (k: string) => string = (k) => k): string[] {
  return Object.keys(o ?? {}).filter((k) => !(strip(k) in schema.shape));
}

/** The experiment specification (a JSON file), validated before anything runs. */
export const experimentSpecSchema = z
  .object({
    name: z.string().describe('name, for titles'),
    dataset: opt(z.enum(DATASET_NAMES as [string, ...string[]]), { description: 'dataset of every cell', code: ErrorCodes.UNKNOWN_NAME }),
    grid: z
      .object({
        model: nonEmpty(z.string().min(1)),
        format: nonEmpty(z.string().min(1)),
        ratio: nonEmpty(z.number().positive()),
        seed: nonEmpty(z.number().int().min(0)),
      })
      .describe('the grid: every combination is a cell; models are built-in names (or have a plan file)'),
    train: flagValues.optional().describe('flags of `train` for the dense models (camelCase names of the command\'s flags, e.g. {"epochs": 3})'),
    compress: flagValues.optional().describe('flags of `compress` for every cell (e.g. {"admmEpochs": 2, "rho": 0.01})'),
    perModel: z.record(z.string(), flagValues).optional().describe('per-model overrides of both, e.g. {"lstm": {"limit": 10000}}'),
    plans: z
      .record(z.string(), z.string())
      .optional()
      .describe("plan file per model, used as it is; {format} and {ratio} in the path are replaced by the cell's"),
  })
  .superRefine((s, ctx) => {
    // every flag a spec names is one the command has: a misspelt one fails here, not in every cell
    const bad = (path: (string | number)[], names: string[], command: string) => {
      if (names.length)
        ctx.addIssue({
          code: 'custom',
          path,
          message: `flags of ${command}; ${names.map((n) => `"${n}"`).join(', ')} ${names.length > 1 ? 'are' : 'is'} not (${command} --help lists them)`,
        });
    };
    bad(['train'], unknownFlags(s.train, trainFlagsSchema), 'train');
    bad(['compress'], unknownFlags(s.compress, compressFlagsSchema), 'compress');
    for (const [m, o] of Object.entries(s.perModel ?? {})) {
      const either = Object.keys(o).filter((k) => !(trainKey(k) in trainFlagsSchema.shape) && !(k in compressFlagsSchema.shape));
      bad(['perModel', m], either, 'train or compress');
    }
  });

/** The experiment specification (JSON); see {@link experimentSpecSchema}. */
export type ExperimentSpec = Readonly<z.output<typeof experimentSpecSchema>>;

/** One compressed layer of a cell. */
export interface CellLayer {
  /** Layer name. */
  readonly name: string;
  /** Parameters of the dense layer. */
  readonly paramsBefore: number;
  /** Parameters of the factorized layer. */
  readonly paramsAfter: number;
}

/** The epochs of a cell's training: the dense model's, ADMM's (= the continued arm's dense epochs) and fine-tuning's. */
export interface CellEpochs {
  /** Epochs of the dense model (`train`), null when its report is missing. */
  readonly dense: number | null;
  /** ADMM epochs; the continued arm trains the dense model as many epochs. */
  readonly admm: number;
  /** Fine-tuning epochs of every arm. */
  readonly finetune: number;
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
  /** The plan file the cell was compressed with. */
  readonly plan: string;
  /** The `compress` command line it ran (a cell recorded with another one is run again). */
  readonly command: readonly string[];
  /** The compressed layers (every arm decomposes the same layers at the same ranks). */
  readonly layers: readonly CellLayer[];
  /** Parameters of the whole dense model. */
  readonly modelParams: number | null;
  /** Epoch budgets. */
  readonly epochs: CellEpochs | null;
  /** Dense accuracy (the same for every cell of a model and seed: they share the dense model). */
  readonly dense: number | null;
  /** ADMM + fine-tune accuracy. */
  readonly admm: number | null;
  /** The ADMM-trained dense model, before decomposition. */
  readonly admmTrained: number | null;
  /** ADMM right after decomposition (before fine-tuning). */
  readonly admmBeforeFinetune: number | null;
  /** Direct decomposition + fine-tune accuracy. */
  readonly direct: number | null;
  /** Direct right after decomposition. */
  readonly directBeforeFinetune: number | null;
  /** Direct with the same total epochs: accuracy after fine-tuning. */
  readonly continued: number | null;
  /** Its dense model after the continued epochs, before decomposition. */
  readonly continuedTrained: number | null;
  /** Right after its decomposition. */
  readonly continuedBeforeFinetune: number | null;
  /** Achieved compression ratio of the compressed layers. */
  readonly achievedRatio: number | null;
  /** Largest primal residual per ADMM update. */
  readonly primal: readonly number[];
  /** The last of them (null without updates). */
  readonly finalPrimal: number | null;
  /** Error message when the cell failed. */
  readonly error?: string;
}

/** Turns {admmEpochs: 2, baseline: true} into ['--admm-epochs', '2', '--baseline']. */
export function toFlags(o: Readonly<Record<string, string | number | boolean>> = {}): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v === false ? [] : v === true ? [`--${kebab(k)}`] : [`--${kebab(k)}`, String(v)]));
}

/** Validates a spec read from JSON against {@link experimentSpecSchema} (`TS_OPTION` naming the field). */
export function parseSpec(text: string, source: string): ExperimentSpec {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch (e) {
    return fail(ErrorCodes.OPTION, `${source} is not valid JSON: ${(e as Error).message}`);
  }
  return checkSpec(s, source);
}

/** Validates a spec against {@link experimentSpecSchema}; `source` names it in messages. */
export function checkSpec(spec: unknown, source = 'experiment spec'): ExperimentSpec {
  return parseOptions(experimentSpecSchema, spec, { source, name: (p) => (p.length ? `"${p.map(String).join('.')}"` : 'the spec') });
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

/** Runs (or resumes) the experiment; returns every cell's result. */
export async function runExperiment(
  specIn: ExperimentSpec,
  out: string,
  opts: { jobs?: number; threads?: number; runner?: CommandRunner; log?: (s: string) => void } = {},
): Promise<CellResult[]> {
  const spec = checkSpec(specIn);
  const run = opts.runner ?? childRunner;
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

/** Per-model keys that go to `train` too (besides `train`-prefixed ones: "trainEpochs" → "epochs"). */
const TRAIN_KEYS = new Set(['limit', 'evalLimit', 'epochs', 'lr', 'batch', 'momentum', 'backend']);
/** A per-model key as a flag of `train`: "trainLr" → "lr". */
const trainKey = (k: string) => (k.startsWith('train') && k.length > 5 ? k[5]!.toLowerCase() + k.slice(6) : k);
const pickTrain = (o: Readonly<Record<string, string | number | boolean>>) =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => TRAIN_KEYS.has(k) || k.startsWith('train'))
      .map(([k, v]) => [trainKey(k), v]),
  );
const pickCompress = (o: Readonly<Record<string, string | number | boolean>>) =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('train') && k !== 'epochs'));

/** The table rows of the three arms: which accuracies of a cell they show. */
const ARM_ROWS: readonly { arm: Arm; final: keyof CellResult; trained: keyof CellResult | null; beforeFt: keyof CellResult }[] = [
  { arm: 'baseline', final: 'direct', trained: null, beforeFt: 'directBeforeFinetune' },
  { arm: 'continued', final: 'continued', trained: 'continuedTrained', beforeFt: 'continuedBeforeFinetune' },
  { arm: 'admm', final: 'admm', trained: 'admmTrained', beforeFt: 'admmBeforeFinetune' },
];

/** An arm's epochs as text ("3 dense + 2 ADMM + 1 fine-tuning = 6"). */
function armEpochs(arm: Arm, e: CellEpochs | null | undefined): string {
  if (!e) return '—';
  return (
    budgetText(epochBudget(arm, { pretrainEpochs: 0, admmEpochs: e.admm, finetuneEpochs: e.finetune }), e.dense ?? 0) +
    (e.dense === null ? ' (+ dense: unknown)' : '')
  );
}

/** Mean ± std of the final primal residuals, marked when any seed ended above {@link CONVERGED_PRIMAL}. */
function primalText(cs: readonly CellResult[]): string {
  const v = cs.map((c) => c.finalPrimal).filter((x): x is number => typeof x === 'number');
  if (!v.length) return '—';
  const { mean, std } = meanStd(v);
  const over = v.filter((x) => x > CONVERGED_PRIMAL).length;
  return `${mean.toFixed(3)} ± ${std.toFixed(3)}${over ? ` **not converged** (${over}/${v.length} > ${CONVERGED_PRIMAL})` : ''}`;
}

/** Writes results.json, table.md and the plots. */
export async function writeExperimentReport(spec: ExperimentSpec, results: readonly CellResult[], out: string): Promise<void> {
  await writeFileAtomic(join(out, 'results.json'), JSON.stringify({ spec, results }, null, 2) + '\n');
  const pm = (xs: readonly (number | null)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number');
    if (v.length === 0) return '—';
    const { mean, std, n } = meanStd(v.map((x) => 100 * x));
    return `${mean.toFixed(2)} ± ${std.toFixed(2)}${n < xs.length ? ` (${n}/${xs.length})` : ''}`;
  };
  const g = spec.grid;
  const rows: (string | number)[][] = [];
  const layerRows: (string | number)[][] = [];
  for (const m of g.model) {
    const ofModel = results.filter((c) => c.model === m);
    // one dense accuracy per seed: every cell of a seed starts from the same dense model
    const densePerSeed = g.seed.map((s) => ofModel.find((c) => c.seed === s && c.dense !== null)?.dense ?? null);
    const epochs = ofModel.find((c) => c.epochs)?.epochs;
    rows.push([m, 'dense', '—', '1×', typeof epochs?.dense === 'number' ? `${epochs.dense} dense` : '—', pm(densePerSeed), '—', '—', '—']);
    for (const f of g.format)
      for (const r of g.ratio) {
        const cs = ofModel.filter((c) => c.format === f && c.ratio === r);
        const ach = cs.map((c) => c.achievedRatio).filter((x): x is number => x !== null);
        const ratio = ach.length ? `${meanStd(ach).mean.toFixed(2)}×` : 'failed';
        const e = cs.find((c) => c.epochs)?.epochs;
        for (const a of ARM_ROWS) {
          const pick = (k: keyof CellResult | null) => (k ? pm(cs.map((c) => c[k] as number | null)) : '—');
          rows.push([
            m,
            ARM_LABELS[a.arm],
            f,
            ratio,
            armEpochs(a.arm, e),
            pick(a.final),
            pick(a.beforeFt),
            pick(a.trained),
            a.arm === 'admm' ? primalText(cs) : '—',
          ]);
        }
        const c0 = cs.find((c) => c.layers.length);
        if (c0) {
          const total = c0.layers.reduce((s, l) => s + l.paramsBefore, 0);
          layerRows.push([m, f, r, c0.layers.map((l) => `${l.name} ${l.paramsBefore} → ${l.paramsAfter}`).join(', '), `${total} of ${c0.modelParams ?? '—'}`]);
        }
      }
  }
  const failed = results.filter((c) => c.error);
  const md = [
    `# ${spec.name}`,
    '',
    `Accuracy (%) on ${spec.dataset}, mean ± std over seeds ${g.seed.join(', ')} (the dense row: one dense model per seed). ` +
      `"Ratio" is the achieved compression of the compressed layers (target ${g.ratio.join('×, ')}×; the layers are listed below). ` +
      `"Before FT" is right after decomposition; "before decomposition" is the arm's trained dense model. ` +
      `Training threads per run: ${cellThreads(results).join(', ') || '1 (the runs predate --threads)'}.`,
    '',
    'The arms start from the same dense model and fine-tune for the same epochs; the "epochs" column is each arm\'s whole training, dense model included:',
    '',
    `- ${ARM_LABELS.baseline}: decomposes the dense model as it is, without the ADMM epochs (fewer epochs in all than ADMM).`,
    `- ${ARM_LABELS.continued}: continues dense training for the ADMM epochs (ADMM's lr, batch and batch order, no penalty), then decomposes: the same total epochs as ADMM.`,
    `- ${ARM_LABELS.admm}: ADMM training for the ADMM epochs, then decomposition.`,
    '',
    `"Final primal" is the last ADMM primal residual max ‖W−Z‖/‖W‖; above ${CONVERGED_PRIMAL} ADMM has not converged and the row says so.`,
    '',
    markdownTable(['model', 'method', 'format', 'ratio', 'epochs', 'accuracy', 'before FT', 'before decomposition', 'final primal'], rows),
    '',
    '## Compressed layers',
    '',
    'Parameters of each compressed layer, dense → factorized (the same for every arm and seed); every other layer stays dense.',
    '',
    markdownTable(['model', 'format', 'target ratio', 'layers (params before → after)', 'params of these layers / of the model'], layerRows),
    '',
    ...(failed.length ? ['Failed cells (a rerun retries them):', '', ...failed.map((c) => `- ${c.id}: ${c.error}`), ''] : []),
    ...g.model.flatMap((m) => [`![accuracy vs ratio, ${m}](accuracy-${m}.svg)`, '', `![ADMM residuals, ${m}](residuals-${m}.svg)`, '']),
  ].join('\n');
  await writeFileAtomic(join(out, 'table.md'), md);
  for (const m of g.model) {
    const series: PlotSeries[] = [];
    for (const f of g.format)
      for (const a of ARM_ROWS) {
        const key = a.final;
        const pts = g.ratio
          .map((r) => {
            const cs = results.filter((c) => c.model === m && c.format === f && c.ratio === r && c[key] !== null);
            return cs.length ? { x: meanStd(cs.map((c) => c.achievedRatio!)).mean, y: 100 * meanStd(cs.map((c) => c[key] as number)).mean } : null;
          })
          .filter((p): p is { x: number; y: number } => p !== null);
        series.push({ name: `${f} ${ARM_LABELS[a.arm]}`, x: pts.map((p) => p.x), y: pts.map((p) => p.y), dashed: a.arm !== 'admm' });
      }
    const dense = g.seed
      .map((s) => results.find((c) => c.model === m && c.seed === s && c.dense !== null)?.dense)
      .filter((d): d is number => typeof d === 'number');
    if (dense.length) {
      const allX = results.filter((c) => c.model === m && c.achievedRatio).map((c) => c.achievedRatio!);
      const d = 100 * meanStd(dense).mean;
      series.push({ name: 'dense', x: [Math.min(...allX), Math.max(...allX)], y: [d, d], color: '#000000', dashed: true, markers: false });
    }
    await writeFileAtomic(
      join(out, `accuracy-${m}.svg`),
      linePlotSvg({
        title: `${m} on ${spec.dataset}: accuracy vs compression`,
        xLabel: 'compression ratio of the compressed layers',
        yLabel: 'accuracy (%)',
        series,
      }),
    );
    const res: PlotSeries[] = results
      .filter((c) => c.model === m && c.seed === g.seed[0] && c.primal.length)
      .map((c) => ({ name: `${c.format} ${c.ratio}×`, x: c.primal.map((_, i) => i + 1), y: c.primal }));
    await writeFileAtomic(
      join(out, `residuals-${m}.svg`),
      linePlotSvg({ title: `${m}: ADMM primal residual (seed ${g.seed[0]})`, xLabel: 'Z/U update', yLabel: 'max ‖W−Z‖/‖W‖', logY: true, series: res }),
    );
  }
}

/** Training threads of each run when `--threads` is not given: the cores shared among the jobs (at least 1). */
export function experimentThreads(jobs: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / jobs));
}

/** The thread counts the cells' commands name (`--threads N`, the last one counting), sorted. */
function cellThreads(results: readonly CellResult[]): number[] {
  const counts = results.map((c) => {
    const i = c.command.lastIndexOf('--threads');
    return i >= 0 ? Number(c.command[i + 1]) : null;
  });
  return [...new Set(counts.filter((n): n is number => n !== null))].sort((a, b) => a - b);
}

/** The flags of `experiment`. */
export const experimentFlagsSchema = z.strictObject({
  out: opt(FLAGS.out, { description: 'results directory: dense/, plans/, cells/, runs/, results.json, table.md, *.svg' }),
  jobs: opt(z.number().int().min(1).default(1), { description: 'cells run in parallel, one process each', arg: 'N' }),
  threads: opt(threadsFlag, { description: 'training threads of every train and compress run (passed as their --threads)', defaultText: 'all cores / jobs' }),
});

/** Flags of `experiment` (typed values, or the strings of a command line). */
export type ExperimentFlags = FlagsInput<typeof experimentFlagsSchema>;

/** Adds `experiment` to the program. */
export function experimentCommand(program: Command): void {
  const cmd = program
    .command('experiment')
    .summary('Run a grid of {model, format, ratio, seed}: ADMM, direct, and direct with the same total epochs, from dense models; resumable.')
    .description(
      'Run a grid of {model, format, ratio, seed}. Each model is trained dense once per seed (E epochs: the spec\'s "train" epochs). ' +
        "Each cell compresses the layers of the model's own default plan (or the spec's plan file) from that dense model in three arms, " +
        'all ending with the same F fine-tuning epochs (the spec\'s "compress" finetuneEpochs; A is its admmEpochs): ' +
        'direct decomposition + fine-tune, E + F epochs; direct with the same total epochs (dense training continued A epochs at the ADMM lr and batch order, no penalty), E + A + F; ' +
        'ADMM + fine-tune, E + A ADMM epochs + F. ' +
        'Resumable: finished cells are not rerun; failed cells, and cells recorded with other flags, are.',
    )
    .argument(
      '<spec.json>',
      'the experiment: {"name", "dataset", "grid": {"model", "format", "ratio", "seed"}, "train": {...}, "compress": {...}, "perModel": {...}, "plans": {...}} (see docs/reproduction.md)',
    );
  addFlags(cmd, experimentFlagsSchema).action(async (specPath: string, flags: ExperimentFlags) => {
    const { out, jobs, threads } = parseFlags(experimentFlagsSchema, flags);
    if (!existsSync(specPath)) fail(ErrorCodes.OPTION, `experiment spec ${specPath} does not exist`);
    const spec = parseSpec(readFileSync(specPath, 'utf8'), specPath);
    const t0 = performance.now();
    const results = await runExperiment(spec, out, {
      jobs,
      ...(threads ? { threads } : {}),
      log: (s) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}\n`),
    });
    process.stdout.write(`${results.length} cells (${results.filter((r) => r.error).length} failed); table: ${join(out, 'table.md')}\n`);
  });
}
