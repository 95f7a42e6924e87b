/**
 * `tensorslim decompose`: decompose a tensor from a `.npy` file with any registered format.
 *
 * @module
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  ErrorCodes,
  fail,
  factorsToJson,
  listPlugins,
  rankSpecFromFlags,
  resolvePlugin,
  type Factors,
  type RankSpec,
} from '@tensorslim/core';
import { readNpy, relError, sizeOf } from '@tensorslim/linalg';
import { median, parseIntList } from '../output.js';

/** The flags of `decompose`. */
export interface DecomposeFlags {
  /** Plugin id. */
  format: string;
  /** Path of the `.npy` input. */
  input: string;
  /** Explicit ranks "r0,r1,...". */
  ranks?: string;
  /** Maximum rank. */
  maxRank?: string;
  /** Target compression ratio. */
  ratio?: string;
  /** Relative error tolerance. */
  eps?: string;
  /** Format's automatic ranks. */
  auto?: boolean;
  /** Modes to decompose "0,1". */
  modes?: string;
  /** Timed repetitions. */
  repeat?: string;
  /** Where to write the factors as JSON. */
  out?: string;
  /** One JSON line on stdout. */
  json?: boolean;
}

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

/** Runs the decomposition and returns the result (and the factors). */
export function runDecompose(flags: DecomposeFlags): { result: DecomposeResult; factors: Factors; notes: string[] } {
  const plugin = resolvePlugin(flags.format);
  if (!existsSync(flags.input)) fail(ErrorCodes.DATA, `input file ${flags.input} does not exist`);
  const x = readNpy(new Uint8Array(readFileSync(flags.input)), flags.input);
  const spec: RankSpec = rankSpecFromFlags({
    ranks: flags.ranks,
    maxRank: flags.maxRank,
    ratio: flags.ratio,
    eps: flags.eps,
    auto: flags.auto,
  });
  const repeat = flags.repeat === undefined ? 1 : Number(flags.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) fail(ErrorCodes.OPTION, `--repeat ${flags.repeat} must be a positive integer`);
  const opts = flags.modes !== undefined ? { modes: parseIntList(flags.modes, '--modes') } : {};
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
  program
    .command('decompose')
    .description('Decompose a tensor read from a .npy file with a registered format, and report ranks, size, error and time.')
    .requiredOption('--format <id>', 'format plugin id (tt, tr, tucker, or one loaded with --plugin)')
    .requiredOption('--input <file.npy>', 'the tensor to decompose (.npy, float32/float64, C order)')
    .option('--ranks <r0,r1,...>', 'explicit ranks in the format\'s convention: TT d+1 ranks with r0 = rd = 1; TR d ranks (the ring closes on r0); Tucker one per decomposed mode')
    .option('--max-rank <R>', 'cap every rank at R')
    .option('--ratio <C>', 'choose the ranks that reach a compression ratio of at least C (entries / parameters)')
    .option('--eps <E>', 'choose the smallest ranks with relative error ≤ E')
    .option('--auto', 'the format\'s automatic rank choice (Tucker: EVBMF)')
    .option('--modes <i,j>', 'decompose only these modes (Tucker: partial decomposition); default all')
    .option('--repeat <N>', 'time the decomposition N times and report the median (default 1)')
    .option('--out <factors.json>', 'write the factors as JSON')
    .option('--json', 'print one JSON line {format, shape, ranks, params, compressionRatio, relError, ms}')
    .addHelpText('after', (ctx) => formatsHelp(Math.max(40, ctx.command.configureOutput().getOutHelpWidth?.() ?? 80)))
    .action((flags: DecomposeFlags) => {
      const { result, factors, notes } = runDecompose(flags);
      for (const n of notes) process.stderr.write(`tensorslim: ${n}\n`);
      if (flags.out) writeFileSync(flags.out, JSON.stringify(factorsToJson(factors)));
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
          ].join('\n') + '\n',
        );
      }
    });
}
