/**
 * `tensorslim experiment <spec.json>`: the reproduction grid of {model, format, ratio, seed}
 * cells (@tensorslim/experiment's `runExperiment`), each `train` and `compress` run by this
 * command in a child process.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, fail, opt } from '@tensorslim/core';
import { childRunner, parseSpec, runExperiment, type CommandFlagNames } from '@tensorslim/experiment';
import { FLAGS } from '../context.js';
import { addFlags, parseFlags, type FlagsInput } from '../schema-flags.js';
import { threadsFlag } from '../threads.js';
import { compressFlagsSchema } from './compress.js';
import { trainFlagsSchema } from './train.js';

/** The command a cell runs: this package's bin/tensorslim.js (the same place from src/ and dist/). */
const binPath = fileURLToPath(new URL('../../bin/tensorslim.js', import.meta.url));

/** The flags a spec may give `train` and `compress`: those of the two commands. */
export const experimentCommandFlags: CommandFlagNames = {
  train: Object.keys(trainFlagsSchema.shape),
  compress: Object.keys(compressFlagsSchema.shape),
};

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
    const spec = parseSpec(readFileSync(specPath, 'utf8'), specPath, experimentCommandFlags);
    const t0 = performance.now();
    const results = await runExperiment(spec, out, {
      runner: childRunner(binPath),
      flags: experimentCommandFlags,
      jobs,
      ...(threads ? { threads } : {}),
      log: (s) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}\n`),
    });
    process.stdout.write(`${results.length} cells (${results.filter((r) => r.error).length} failed); table: ${join(out, 'table.md')}\n`);
  });
}
