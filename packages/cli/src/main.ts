/**
 * The `tensorslim` program: subcommands are modules that add themselves to one commander program.
 *
 * @module
 */
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { opt } from '@tensorslim/core';
import { loadPlugins } from './plugins.js';
import { addFlags } from './schema-flags.js';
import { errorLine } from './output.js';
import { decomposeCommand } from './commands/decompose.js';
import { compressCommand } from './commands/compress.js';
import { demoCommand } from './commands/demo.js';
import { inspectCommand } from './commands/inspect.js';
import { factorizeCommand } from './commands/factorize.js';
import { evaluateCommand } from './commands/evaluate.js';
import { trainCommand } from './commands/train.js';
import { benchCommand } from './commands/bench.js';
import { experimentCommand } from './commands/experiment.js';

/** Each subcommand module adds itself to the program. */
const COMMANDS: ((program: Command) => void)[] = [
  demoCommand,
  compressCommand,
  decomposeCommand,
  factorizeCommand,
  inspectCommand,
  evaluateCommand,
  trainCommand,
  benchCommand,
  experimentCommand,
];

/** The program's own flags (before or after the subcommand; `main` loads the plugins before parsing). */
export const programFlagsSchema = z.strictObject({
  plugin: opt(z.array(z.string().min(1)).default([]), {
    description: 'load an extra format plugin (a package name, or a path to a built plugin package); repeat for several',
    arg: 'path-or-package',
  }),
});

/** Builds the program (exported for tests and for the CLI reference in docs/). */
export function buildProgram(): Command {
  const program = addFlags(
    new Command('tensorslim').description('Compress TensorFlow.js models by tensor decomposition (TT, TR, Tucker, plugins) with ADMM.'),
    programFlagsSchema,
  )
    .showHelpAfterError('(run with --help for the flags)')
    .exitOverride();
  for (const add of COMMANDS) add(program);
  return program;
}

/** Runs the command line; returns the exit code (and sets process.exitCode). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    // load plugins before parsing so subcommands can resolve them
    const extra: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--plugin' && argv[i + 1]) extra.push(argv[i + 1]!);
      else if (argv[i]!.startsWith('--plugin=')) extra.push(argv[i]!.slice('--plugin='.length));
    }
    await loadPlugins(extra);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      const code = e.exitCode;
      process.exitCode = code;
      return code;
    }
    process.stderr.write(errorLine(e) + '\n');
    process.exitCode = 2;
    return 2;
  }
}
