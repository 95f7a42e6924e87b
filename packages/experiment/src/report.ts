/**
 * The experiment's report: results.json, table.md (mean ± std over seeds of every arm, the
 * compressed layers, failed cells) and the SVG plots (accuracy against compression, ADMM's
 * residuals).
 *
 * @module
 */
import { join } from 'node:path';
import { ARM_LABELS, budgetText, CONVERGED_PRIMAL, epochBudget, linePlotSvg, markdownTable, type Arm, type PlotSeries } from '@tensorslim/report';
import { writeFileAtomic } from '@tensorslim/io';
import type { CellEpochs, CellResult } from './cell.js';
import type { ExperimentSpec } from './spec.js';

/** Mean and sample standard deviation. */
export function meanStd(xs: readonly number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

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

/** The thread counts the cells' commands name (`--threads N`, the last one counting), sorted. */
function cellThreads(results: readonly CellResult[]): number[] {
  const counts = results.map((c) => {
    const i = c.command.lastIndexOf('--threads');
    return i >= 0 ? Number(c.command[i + 1]) : null;
  });
  return [...new Set(counts.filter((n): n is number => n !== null))].sort((a, b) => a - b);
}
