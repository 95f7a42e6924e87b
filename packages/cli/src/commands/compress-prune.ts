/**
 * `tensorslim compress --method reweighted|collaborative`: the pruning pipelines of
 * `@tensorslim/prune` on the same model, data and plan flags as ADMM compression. The planned
 * layers are the plan's (or the model's default plan's); the report shows the dense model, the
 * method and its baseline (magnitude pruning at the same budget, or the direct arm).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainDense } from '@tensorslim/admm';
import { runCollaborative, runReweighted, type PruneReport } from '@tensorslim/prune';
import { ensureDir, isModelPath, modelDataShape, readEveryOf, resolveDataset, resolveModel, resolvePlan, startBackend } from '../context.js';
import { createProgress, progressEnabled } from '../progress.js';
import type { compressFlagsSchema } from './compress.js';
import { PRETRAIN_EPOCHS_BUILTIN } from './compress.js';
import type { z } from 'zod';

/** The report as a Markdown table: the dense model, then each arm. */
export function pruneReportMarkdown(r: PruneReport): string {
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(2)}%`);
  const rows = [
    `| dense | ${pct(r.dense.evaluation.accuracy)} | — | ${r.dense.params} | ${r.dense.flops} | ${r.dense.bytes} | 0 |`,
    ...r.arms.map(
      (a) => `| ${a.arm} | ${pct(a.final.accuracy)} | ${pct(a.afterPrune.accuracy)} | ${a.params} | ${a.flops} | ${a.bytes} | ${a.sparsity.toFixed(3)} |`,
    ),
  ];
  const skipped = r.layers.skipped.map((s) => `${s.layer} (${s.reason})`).join('; ');
  return [
    `# tensorslim compress --method ${r.method}`,
    '',
    `Pruned layers: ${r.layers.pruned.join(', ')}${skipped ? `; not pruned: ${skipped}` : ''}.`,
    '',
    '| arm | accuracy | after pruning | params | MACs | model.json + weights bytes | kernel sparsity |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** `--method reweighted`'s sparsity when `--sparsity` is not given. */
export const REWEIGHTED_SPARSITY = 0.9;
/** `--method collaborative`'s budget when `--target-flops` is not given. */
export const COLLABORATIVE_FLOPS = 0.5;

/** Runs a pruning method with the flags of `compress`; writes report.json and report.md to --out. */
export async function runPruneMethod(f: z.output<typeof compressFlagsSchema>): Promise<PruneReport> {
  const progress = createProgress(progressEnabled(f.json), f.json);
  // losses read every N steps on webgpu (LOSS_READ_EVERY), in pretraining and in every phase of the method
  const readEvery = readEveryOf(await startBackend(f.backend, progress));
  const loaded = isModelPath(f.model) ? await resolveModel(f.model) : undefined;
  const data = await resolveDataset({ ...f, ...(loaded ? modelDataShape(loaded.model) : {}) });
  const source = loaded ?? (await resolveModel(f.model, data, f.seed));
  // the planned layers are the candidates; the budget is this method's own (not a low-rank allocation)
  const layers = Object.keys((await resolvePlan({ ...f, targetParams: undefined, targetFlops: undefined }, source)).layers);
  const pretrain = f.pretrainEpochs ?? (source.builtin ? PRETRAIN_EPOCHS_BUILTIN : 0);
  if (pretrain > 0)
    await trainDense(source.model, data, {
      epochs: pretrain,
      lr: f.lr,
      batchSize: f.batch,
      seed: f.seed,
      momentum: f.momentum,
      readEvery,
    });
  ensureDir(f.out);
  const training = {
    trainEpochs: f.admmEpochs,
    lr: f.admmLr ?? f.lr,
    finetuneEpochs: f.finetuneEpochs,
    finetuneLr: f.finetuneLr,
    batchSize: f.batch,
    seed: f.seed,
    updateEvery: f.updateEvery,
    readEvery,
    layers,
    ...(f.out ? { outDir: f.out } : {}),
  };
  const report =
    f.method === 'reweighted'
      ? await runReweighted(source.model, data, { ...training, sparsity: f.sparsity ?? REWEIGHTED_SPARSITY, granularity: f.granularity })
      : await runCollaborative(source.model, data, { ...training, targetFlops: f.targetFlops ?? COLLABORATIVE_FLOPS, rho: f.rho });
  progress.stop();
  if (f.out) {
    writeFileSync(join(f.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(f.out, 'report.md'), pruneReportMarkdown(report));
  }
  return report;
}
