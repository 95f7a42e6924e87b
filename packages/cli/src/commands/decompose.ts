/**
 * `tensorslim decompose`: decompose a tensor from a `.npy` file with any registered format.
 *
 * @module
 */
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import {
  ErrorCodes,
  fail,
  factorsToJson,
  listPlugins,
  opt,
  rankSpecFromFlags,
  resolvePlugin,
  type Factors,
  type FormatPlugin,
  type RankSpec,
} from '@tensorslim/core';
import { readNpy, relError, sizeOf, writeNpy } from '@tensorslim/linalg';
import { median } from '../output.js';
import { FLAGS } from '../context.js';
import { addFlags, parseFlags, type FlagsInput } from '../schema-flags.js';

/** The flags of `decompose`: the format, the input, exactly one way to choose the ranks (core's rank specs), and timing. */
export const decomposeFlagsSchema = z.strictObject({
  format: opt(z.string().min(1), { description: 'format plugin id (tt, tr, tucker, cp, atd, or one loaded with --plugin)', arg: 'id' }),
  input: opt(z.string().min(1), { description: 'the tensor to decompose (.npy, float32/float64, C order)', arg: 'file.npy' }),
  ranks: opt(z.string().optional(), {
    description:
      "explicit ranks in the format's convention: TT d+1 ranks with r0 = rd = 1; TR d ranks (the ring closes on r0); Tucker one per decomposed mode; CP one",
    arg: 'r0,r1,...',
  }),
  maxRank: opt(z.number().int().min(1).optional(), { description: 'cap every rank at R', arg: 'R', code: ErrorCodes.RANK }),
  ratio: opt(z.number().positive().optional(), {
    description: 'choose the ranks that reach a compression ratio of at least C (entries / parameters)',
    arg: 'C',
    code: ErrorCodes.RANK,
  }),
  eps: opt(z.number().min(0).optional(), { description: 'choose the smallest ranks with relative error ≤ E', arg: 'E', code: ErrorCodes.RANK }),
  auto: opt(z.boolean().optional(), { description: "the format's automatic rank choice (Tucker: EVBMF)" }),
  modes: opt(z.array(z.number().int().min(0)).optional(), {
    description: "decompose only these modes: Tucker's partial decomposition",
    defaultText: 'all',
    arg: 'i,j',
    list: 'comma',
  }),
  augment: opt(z.array(z.string().min(1)).optional(), {
    description: 'augmentations of each sample for a data-tensor format (atd: jitter, scale, shift, crop)',
    defaultText: "the format's",
    arg: 'ids',
    list: 'comma',
  }),
  epochs: opt(z.number().int().min(0).optional(), {
    description: 'passes over the samples for a data-tensor format (atd; 0 gives the plain CP-ALS baseline)',
    defaultText: "the format's",
    arg: 'E',
  }),
  seed: opt(z.number().int().min(0).optional(), {
    description: "seed of a randomized format's views, batches and start (atd)",
    defaultText: "the format's",
    arg: 'S',
  }),
  repeat: opt(z.number().int().min(1).default(1), { description: 'time the decomposition N times and report the median', arg: 'N' }),
  out: opt(z.string().min(1).optional(), { description: 'write the factors as JSON', arg: 'factors.json' }),
  npy: opt(z.string().min(1).optional(), {
    description: 'write each factor as DIR/factor-K.npy (float64), and DIR/representations.npy for a data-tensor format',
    arg: 'DIR',
  }),
  json: opt(FLAGS.json, { description: 'print one JSON line {format, shape, ranks, params, compressionRatio, relError, ms}' }),
});

/** The flags of `decompose` (typed values, or the strings of a command line). */
export type DecomposeFlags = FlagsInput<typeof decomposeFlagsSchema>;

/** The result line of `decompose --json`. */
export interface DecomposeResult {
  /** Plugin id. */
  format: string;
  /** Input shape. */
  shape: number[];
  /** Resolved (possibly clamped) ranks. */
  ranks: number[];
  /** Stored parameters. */
  params: number;
  /** Entries of the input / params. */
  compressionRatio: number;
  /** ‖X − X̂‖_F / ‖X‖_F in float64. */
  relError: number;
  /** Median wall time of the decomposition alone, ms. */
  ms: number;
}

/** The format-specific flags of `decompose`: each is passed only to a format that lists it in `optionKeys`. */
const FORMAT_OPTION_FLAGS = ['augment', 'epochs', 'seed'] as const;

/** The format-specific flags given, as decomposition options; `TS_OPTION` for one the format does not read. */
function formatOptions(plugin: FormatPlugin, o: Partial<Record<(typeof FORMAT_OPTION_FLAGS)[number], unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const reads = plugin.decomposition.optionKeys ?? [];
  for (const k of FORMAT_OPTION_FLAGS) {
    if (o[k] === undefined) continue;
    if (!reads.includes(k)) {
      fail(ErrorCodes.OPTION, `format ${plugin.id} does not read --${k}`, reads.length ? `it reads: ${reads.map((r) => `--${r}`).join(', ')}` : `drop --${k}`);
    }
    out[k] = o[k];
  }
  return out;
}

/** Writes every factor as `dir/factor-K.npy` and, if the format has them, the per-sample representations; returns the paths. */
export function writeFactorsNpy(plugin: FormatPlugin, factors: Factors, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = factors.cores.map((c, k) => {
    const p = join(dir, `factor-${k}.npy`);
    writeFileSync(p, writeNpy(c));
    return p;
  });
  const reps = plugin.decomposition.representations?.(factors);
  if (reps) {
    const p = join(dir, 'representations.npy');
    writeFileSync(p, writeNpy(reps));
    files.push(p);
  }
  return files;
}

/** Runs the decomposition and returns the result (and the factors). */
export function runDecompose(flags: DecomposeFlags): { result: DecomposeResult; factors: Factors; notes: string[]; plugin: FormatPlugin } {
  const o = parseFlags(decomposeFlagsSchema, flags);
  const plugin = resolvePlugin(o.format);
  if (!existsSync(o.input)) fail(ErrorCodes.DATA, `input file ${o.input} does not exist`);
  const x = readNpy(new Uint8Array(readFileSync(o.input)), o.input);
  const spec: RankSpec = rankSpecFromFlags(o);
  const repeat = o.repeat;
  const opts = { ...(o.modes !== undefined ? { modes: o.modes } : {}), ...formatOptions(plugin, o) };
  const times: number[] = [];
  let factors: Factors | undefined;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    factors = plugin.decomposition.decompose(x, spec, opts);
    times.push(performance.now() - t0);
  }
  const f = factors!;
  const xhat = plugin.decomposition.reconstruct(f);
  const params = plugin.decomposition.paramCount(x.shape, f.ranks, opts);
  const notes: string[] = [];
  if ('ranks' in spec) {
    const asked = spec.ranks.map(Number);
    if (asked.length === f.ranks.length && asked.some((r, i) => r !== f.ranks[i])) {
      notes.push(`ranks clamped to what the data allows: asked [${asked.join(', ')}], used [${f.ranks.join(', ')}]`);
    }
  }
  return {
    result: {
      format: plugin.id,
      shape: [...x.shape],
      ranks: [...f.ranks],
      params,
      compressionRatio: sizeOf(x.shape) / params,
      relError: relError(x, xhat),
      ms: median(times),
    },
    factors: f,
    notes,
    plugin,
  };
}

/**
 * The help epilog of `decompose`: every registered format with its rank convention (built-ins and
 * the plugins loaded with `--plugin`), read from the registry when the help is shown.
 */
export function formatsHelp(width = 80): string {
  const plugins = listPlugins();
  if (plugins.length === 0) return '';
  const idWidth = Math.max(...plugins.map((p) => p.id.length));
  const indent = ' '.repeat(idWidth + 4);
  const lines: string[] = [];
  for (const p of plugins) {
    const words = `${p.name} — ${p.decomposition.rankConvention}`.split(/\s+/);
    let line = `  ${p.id.padEnd(idWidth)}  `;
    let fresh = true;
    for (const w of words) {
      if (!fresh && line.length + 1 + w.length > width) {
        lines.push(line);
        line = indent;
        fresh = true;
      }
      line += (fresh ? '' : ' ') + w;
      fresh = false;
    }
    lines.push(line);
  }
  return `\nRegistered formats (--format) and their rank conventions (--ranks):\n${lines.join('\n')}\n`;
}

/** Adds `decompose` to the program. */
export function decomposeCommand(program: Command): void {
  const cmd = program
    .command('decompose')
    .description('Decompose a tensor read from a .npy file with a registered format, and report ranks, size, error and time.');
  addFlags(cmd, decomposeFlagsSchema)
    .addHelpText('after', (ctx) => formatsHelp(Math.max(40, ctx.command.configureOutput().getOutHelpWidth?.() ?? 80)))
    .action((flags: DecomposeFlags) => {
      const { result, factors, notes, plugin } = runDecompose(flags);
      for (const n of notes) process.stderr.write(`tensorslim: ${n}\n`);
      if (flags.out) writeFileSync(flags.out, JSON.stringify(factorsToJson(factors)));
      const npyFiles = flags.npy ? writeFactorsNpy(plugin, factors, flags.npy) : [];
      if (flags.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
      } else {
        process.stdout.write(
          [
            `format            ${result.format}`,
            `shape             [${result.shape.join(', ')}]`,
            `ranks             [${result.ranks.join(', ')}]`,
            `parameters        ${result.params} (dense ${sizeOf(result.shape)}, ratio ${result.compressionRatio.toFixed(2)}×)`,
            `relative error    ${result.relError.toExponential(4)}`,
            `time (median)     ${result.ms.toFixed(2)} ms`,
            ...(flags.out ? [`factors written   ${flags.out}`] : []),
            ...(npyFiles.length ? [`.npy written      ${npyFiles.join(', ')}`] : []),
          ].join('\n') + '\n',
        );
      }
    });
}
