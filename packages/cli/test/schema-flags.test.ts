import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { z } from 'zod';
import { COMPRESS_DEFAULTS, compressSettingsSchema } from '@tensorslim/admm';
import { isTensorslimError, opt } from '@tensorslim/core';
import { addFlags, flagHelp, flagSpecs, parseFlags, withDefaults } from '../src/schema-flags.js';
import { buildProgram, programFlagsSchema } from '../src/main.js';
import { compressFlagsSchema, compressSettings } from '../src/commands/compress.js';
import { trainFlagsSchema } from '../src/commands/train.js';
import { evaluateFlagsSchema } from '../src/commands/evaluate.js';
import { factorizeFlagsSchema } from '../src/commands/factorize.js';
import { inspectFlagsSchema } from '../src/commands/inspect.js';
import { decomposeFlagsSchema } from '../src/commands/decompose.js';
import { DEMO_SETTINGS, demoFlagsSchema } from '../src/commands/demo.js';
import { benchLayersFlagsSchema, benchTrainCliSchema } from '../src/commands/bench.js';
import { toFlags } from '@tensorslim/experiment';
import { experimentFlagsSchema } from '../src/commands/experiment.js';

const src = fileURLToPath(new URL('../src', import.meta.url));

/** The error a call throws (fails the test when it returns). */
function errorOf(f: () => unknown): { code: string; message: string } {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(isTensorslimError(caught), String(caught)).toBe(true);
  return caught as { code: string; message: string };
}

const sample = z.strictObject({
  modelName: opt(z.string().min(1), { description: 'the model', arg: 'name' }),
  epochs: opt(z.number().int().min(0).default(200), { description: 'training epochs', note: "the paper's", arg: 'N' }),
  lr: opt(z.number().positive().optional(), { description: 'learning rate, else {epochs} decides', defaultText: 'from --epochs' }),
  every: opt(z.union([z.literal('epoch'), z.number().int().min(1)]).default('epoch'), { description: 'update after every epoch or every N steps' }),
  loss: opt(z.enum(['crossentropy', 'mse']).default('crossentropy'), { description: 'the loss' }),
  shape: opt(z.array(z.number().int().min(1)).optional(), { description: 'a shape', arg: 'H,W,C', list: 'comma' }),
  plugin: opt(z.array(z.string()).default([]), { description: 'a plugin; repeat for several', arg: 'path' }),
  fast: opt(z.boolean().optional(), { description: 'go fast' }),
});

describe('the schema → commander adapter', () => {
  it('derives flags: kebab-case names, placeholders, bare booleans, required flags, comma lists, repeatable flags', () => {
    const specs = flagSpecs(sample);
    expect(specs.map((s) => [s.flag, s.required, s.bare, s.list])).toEqual([
      ['--model-name', true, false, null],
      ['--epochs', false, false, null],
      ['--lr', false, false, null],
      ['--every', false, false, null],
      ['--loss', false, false, null],
      ['--shape', false, false, 'comma'],
      ['--plugin', false, false, 'repeat'],
      ['--fast', false, true, null],
    ]);
    const cmd = addFlags(new Command('x').exitOverride(), sample);
    expect(cmd.options.map((o) => o.flags)).toEqual([
      '--model-name <name>',
      '--epochs <N>',
      '--lr <X>',
      '--every <value>',
      '--loss <crossentropy|mse>',
      '--shape <H,W,C>',
      '--plugin <path>',
      '--fast',
    ]);
    expect(cmd.options[0]!.mandatory).toBe(true);
    // help: description ({key} as its flag), an enum's values, the default and the note
    expect(specs.map(flagHelp)).toEqual([
      'the model',
      "training epochs (default 200; the paper's)",
      'learning rate, else --epochs decides (default: from --epochs)',
      'update after every epoch or every N steps (default epoch)',
      'the loss: crossentropy or mse (default crossentropy)',
      'a shape',
      'a plugin; repeat for several',
      'go fast',
    ]);
    cmd.parse(['--model-name', 'm', '--shape', '8,8,3', '--plugin', 'a', '--plugin', 'b', '--fast', '--every', '50'], { from: 'user' });
    expect(parseFlags(sample, cmd.opts())).toEqual({
      modelName: 'm',
      epochs: 200,
      every: 50,
      loss: 'crossentropy',
      shape: [8, 8, 3],
      plugin: ['a', 'b'],
      fast: true,
    });
  });

  it('converts strings to the field types, and takes typed values as they are', () => {
    expect(parseFlags(sample, { modelName: 'm', epochs: '3', lr: '0.5', every: 'epoch', loss: 'mse' })).toMatchObject({
      epochs: 3,
      lr: 0.5,
      every: 'epoch',
      loss: 'mse',
    });
    expect(parseFlags(sample, { modelName: 'm', epochs: 3, lr: 0.5, every: 7, shape: [2, 2] })).toMatchObject({ epochs: 3, lr: 0.5, every: 7, shape: [2, 2] });
  });

  it('a bad value is a TS_OPTION error naming the flag, the value as given and what is allowed', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ epochs: '1.5' }, '--epochs 1.5 is invalid — it must be an integer ≥ 0'],
      [{ epochs: 'ten' }, '--epochs ten is invalid — it must be an integer ≥ 0'],
      [{ epochs: '' }, '--epochs  is invalid — it must be an integer ≥ 0'],
      [{ lr: '0' }, '--lr 0 is invalid — it must be a positive number'],
      [{ every: 'often' }, "--every often is invalid — it must be 'epoch' or a positive integer"],
      [{ every: '0' }, "--every 0 is invalid — it must be 'epoch' or a positive integer"],
      [{ loss: 'hinge' }, "--loss hinge is invalid — it must be 'crossentropy' or 'mse'"],
      [{ shape: '8,x,3' }, '--shape 8,x,3 is invalid — it must be a comma-separated list of positive integers'],
      [{ modelName: undefined }, '--model-name is missing — it must be a non-empty string'],
      [{ epoch: '3' }, 'unknown --epoch — known: --model-name, --epochs'],
    ];
    for (const [given, message] of cases) {
      const e = errorOf(() => parseFlags(sample, { modelName: 'm', ...given }));
      expect(e.code).toBe('TS_OPTION');
      expect(e.message).toContain(message);
    }
  });

  it('withDefaults states a command line default once, replacing the note about the API default', () => {
    const cli = withDefaults(sample, { epochs: { default: 10, note: 'paper: 200' }, lr: { default: 0.01 } });
    const help = Object.fromEntries(flagSpecs(cli).map((s) => [s.flag, flagHelp(s)]));
    expect(help['--epochs']).toBe('training epochs (default 10; paper: 200)');
    expect(help['--lr']).toBe('learning rate, else --epochs decides (default 0.01)');
    expect(parseFlags(cli, { modelName: 'm' })).toMatchObject({ epochs: 10, lr: 0.01 });
    expect(parseFlags(sample, { modelName: 'm' })).toMatchObject({ epochs: 200 }); // the original keeps its default
    expect(errorOf(() => parseFlags(cli, { modelName: 'm', epochs: '-1' })).message).toContain('--epochs -1 is invalid — it must be an integer ≥ 0');
  });
});

describe('every flag of the program comes from a schema', () => {
  const SCHEMAS: Record<string, z.ZodObject> = {
    tensorslim: programFlagsSchema,
    'tensorslim demo': demoFlagsSchema,
    'tensorslim compress': compressFlagsSchema,
    'tensorslim decompose': decomposeFlagsSchema,
    'tensorslim factorize': factorizeFlagsSchema,
    'tensorslim inspect': inspectFlagsSchema,
    'tensorslim evaluate': evaluateFlagsSchema,
    'tensorslim train': trainFlagsSchema,
    'tensorslim bench train': benchTrainCliSchema,
    'tensorslim bench layers': benchLayersFlagsSchema,
    'tensorslim experiment': experimentFlagsSchema,
  };

  it("each command's options are exactly its schema's flags, with the schema's help", () => {
    const walk = (c: Command, prefix: string): [string, Command][] => {
      const path = prefix ? `${prefix} ${c.name()}` : c.name();
      return [[path, c], ...c.commands.flatMap((s) => walk(s, path))];
    };
    const commands = walk(buildProgram(), '').filter(([path, c]) => c.options.length > 0 || path in SCHEMAS);
    expect(commands.map(([p]) => p).sort()).toEqual(Object.keys(SCHEMAS).sort());
    for (const [path, c] of commands) {
      const specs = flagSpecs(SCHEMAS[path]!);
      expect(
        c.options.map((o) => o.long),
        path,
      ).toEqual(specs.map((s) => s.flag));
      expect(
        c.options.map((o) => o.description),
        path,
      ).toEqual(specs.map(flagHelp));
    }
  });

  it('no command writes a flag by hand', () => {
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]));
    for (const f of files(src).filter((f) => f.endsWith('.ts'))) {
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/\.(requiredOption|option)\(\s*['"`]-/);
    }
  });

  it("compress: the command's own defaults (the overlay) and the API's for the rest", () => {
    const f = parseFlags(compressFlagsSchema, { model: 'lenet5', out: 'o' });
    expect(compressSettings(f, true)).toEqual({
      ...COMPRESS_DEFAULTS,
      admmEpochs: 10,
      finetuneEpochs: 5,
      pretrainEpochs: 2,
      pretrainLr: 0.01,
      admmLr: 0.01,
      batchSize: 64,
    });
    expect(compressSettings(f, false).pretrainEpochs).toBe(0);
    expect(compressSettings(parseFlags(compressFlagsSchema, { model: 'm', out: 'o', lr: '0.2', admmLr: '0.03' }), false)).toMatchObject({
      pretrainLr: 0.2,
      admmLr: 0.03,
    });
    // the API's schema is untouched by the overlay
    expect(compressSettingsSchema.parse({}).admmEpochs).toBe(200);
    expect(errorOf(() => parseFlags(compressFlagsSchema, { model: 'm', out: 'o', backend: 'gpu' }))).toMatchObject({ code: 'TS_UNKNOWN_NAME' });
    expect(errorOf(() => compressSettings(parseFlags(compressFlagsSchema, { model: 'm', out: 'o', rhoFactor: '2' }), false)).message).toMatch(
      /needs --rho-factor, --rho-every and --rho-max together/,
    );
  });

  it("bench: the command line's strings become @tensorslim/bench's options, --json aside; a bad one names the flag", () => {
    const { json, ...train } = parseFlags(benchTrainCliSchema, { model: 'lenet5', backends: 'cpu,wasm', inputShape: '8,8,3', batch: '4', json: true });
    expect(json).toBe(true);
    expect(train).toMatchObject({ model: 'lenet5', backends: ['cpu', 'wasm'], inputShape: [8, 8, 3], batch: 4, steps: 5, torch: true });
    expect(errorOf(() => parseFlags(benchTrainCliSchema, { model: 'lenet5', backends: 'cpu,webgl' }))).toMatchObject({ code: 'TS_UNKNOWN_NAME' });
    expect(errorOf(() => parseFlags(benchTrainCliSchema, { model: 'lenet5', batch: '0' })).message).toContain('--batch 0 is invalid');
    const { json: _json, ...layers } = parseFlags(benchLayersFlagsSchema, { formats: 'tt,tr', repeat: '1' });
    expect(layers).toEqual({ backend: 'wasm', batch: 64, size: 32, channels: 64, ratio: 3, repeat: 1, formats: ['tt', 'tr'] });
  });

  it('experiment: settings written as camel-case flag names reach the child process as the same values', () => {
    const spec = {
      admmEpochs: 2,
      finetuneEpochs: 1,
      admmLr: 0.02,
      batch: 64,
      rho: 0.01,
      updateEvery: 50,
      rhoFactor: 1.5,
      rhoEvery: 1,
      rhoMax: 1,
      baseline: true,
      continuedBaseline: false,
    };
    const cmd = addFlags(new Command('compress').exitOverride(), compressFlagsSchema);
    cmd.parse(['--model', 'm', '--out', 'o', ...toFlags(spec)], { from: 'user' });
    const f = parseFlags(compressFlagsSchema, cmd.opts());
    expect(compressSettings(f, false)).toMatchObject({
      admmEpochs: 2,
      finetuneEpochs: 1,
      admmLr: 0.02,
      batchSize: 64,
      rho: 0.01,
      updateEvery: 50,
      rhoSchedule: { factor: 1.5, every: 1, max: 1 },
      baseline: true,
      continuedBaseline: false,
    });
    // the demo's preset is a set of compress flags too
    expect(compressSettings(parseFlags(compressFlagsSchema, { ...DEMO_SETTINGS, out: 'o' }), true)).toMatchObject({
      pretrainEpochs: 2,
      admmEpochs: 2,
      admmLr: 0.02,
      updateEvery: 50,
    });
  });
});
