/**
 * The experiment specification (a JSON file): the grid, the flags of `train` and `compress` for
 * every cell and per model, and plan files; validated before anything runs.
 *
 * @module
 */
import { z } from 'zod';
import { ErrorCodes, fail, opt, parseOptions } from '@tensorslim/core';
import { DATASET_NAMES } from '@tensorslim/models';

/** Flags of a command, by their camel-case names, as a spec gives them: {"admmEpochs": 2, "baseline": true}. */
const flagValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1);

/** The shape of an experiment specification (a JSON file); {@link experimentSpecSchemaFor} adds the check of its flag names. */
export const experimentSpecSchema = z.object({
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
});

/** The experiment specification (JSON); see {@link experimentSpecSchema}. */
export type ExperimentSpec = Readonly<z.output<typeof experimentSpecSchema>>;

/**
 * The flags (camel-case names) of the two commands an experiment runs, `train` and `compress`:
 * a spec naming another is refused before anything runs, not in every cell. The command line
 * passes its commands' flags.
 */
export interface CommandFlagNames {
  /** Flags of `train`. */
  readonly train: readonly string[];
  /** Flags of `compress`. */
  readonly compress: readonly string[];
}

/** Per-model keys that go to `train` too (besides `train`-prefixed ones: "trainEpochs" → "epochs"). */
const TRAIN_KEYS = new Set(['limit', 'evalLimit', 'epochs', 'lr', 'batch', 'momentum', 'backend']);

/** A per-model key as a flag of `train`: "trainLr" → "lr". */
const trainKey = (k: string) => (k.startsWith('train') && k.length > 5 ? k[5]!.toLowerCase() + k.slice(6) : k);

/** The per-model settings that go to `train` ("trainLr": 0.1 → "lr": 0.1; "limit", "epochs", ... as they are). */
export const pickTrain = (o: Readonly<Record<string, string | number | boolean>>): Record<string, string | number | boolean> =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => TRAIN_KEYS.has(k) || k.startsWith('train'))
      .map(([k, v]) => [trainKey(k), v]),
  );

/** The per-model settings that go to `compress`: all but the `train`-prefixed ones and "epochs". */
export const pickCompress = (o: Readonly<Record<string, string | number | boolean>>): Record<string, string | number | boolean> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('train') && k !== 'epochs'));

/** {@link experimentSpecSchema}, refusing every flag a spec names that is not one of `flags`' commands. */
export function experimentSpecSchemaFor(flags: CommandFlagNames) {
  const train = new Set(flags.train);
  const compress = new Set(flags.compress);
  const unknown = (o: Readonly<Record<string, unknown>> | undefined, known: ReadonlySet<string>) => Object.keys(o ?? {}).filter((k) => !known.has(k));
  return experimentSpecSchema.superRefine((s, ctx) => {
    const bad = (path: (string | number)[], names: string[], command: string) => {
      if (names.length)
        ctx.addIssue({
          code: 'custom',
          path,
          message: `flags of ${command}; ${names.map((n) => `"${n}"`).join(', ')} ${names.length > 1 ? 'are' : 'is'} not (${command} --help lists them)`,
        });
    };
    bad(['train'], unknown(s.train, train), 'train');
    bad(['compress'], unknown(s.compress, compress), 'compress');
    for (const [m, o] of Object.entries(s.perModel ?? {})) {
      const either = Object.keys(o).filter((k) => !train.has(trainKey(k)) && !compress.has(k));
      bad(['perModel', m], either, 'train or compress');
    }
  });
}

/**
 * Validates a spec against {@link experimentSpecSchema} (`TS_OPTION` naming the field); `source`
 * names it in messages. With `flags`, a flag name that is not one of the commands' is refused too.
 */
export function checkSpec(spec: unknown, source = 'experiment spec', flags?: CommandFlagNames): ExperimentSpec {
  const schema = flags ? experimentSpecSchemaFor(flags) : experimentSpecSchema;
  return parseOptions(schema, spec, { source, name: (p) => (p.length ? `"${p.map(String).join('.')}"` : 'the spec') });
}

/** Validates a spec read from JSON (see {@link checkSpec}); text that is not JSON is `TS_OPTION` too. */
export function parseSpec(text: string, source: string, flags?: CommandFlagNames): ExperimentSpec {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch (e) {
    return fail(ErrorCodes.OPTION, `${source} is not valid JSON: ${(e as Error).message}`);
  }
  return checkSpec(s, source, flags);
}

/** The flag of a camel-case setting: `admmEpochs` → `admm-epochs`. */
function flagOf(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** Turns {admmEpochs: 2, baseline: true} into ['--admm-epochs', '2', '--baseline']. */
export function toFlags(o: Readonly<Record<string, string | number | boolean>> = {}): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v === false ? [] : v === true ? [flagOf(k)] : [flagOf(k), String(v)]));
}
