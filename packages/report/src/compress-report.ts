/**
 * The compress report: a JSON document for programs (report.json) and a Markdown page with SVG
 * plots for people (report.md, loss.svg, accuracy.svg, residuals.svg). Its inputs are plain
 * records ({@link ReportSettings}, ./records.ts, core's layer reports), so `@tensorslim/admm`'s
 * compress pipeline builds and writes it without this package importing admm.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CompressionPlan, DataSource } from '@tensorslim/core';
import type { FactorizedLayerReport } from '@tensorslim/surgery';
import { writeFileAtomic } from '@tensorslim/io';
import { formatDuration, formatNumber, formatPercent, markdownTable } from './markdown.js';
import type { AdmmUpdateRecord, EpochRecord, Evaluation } from './records.js';
import { linePlotSvg, type PlotSeries } from './svg-plot.js';

/**
 * The settings of a compress run that its report reads (epochs, learning rates, ρ and its
 * schedule, the Z/U update frequency, SGD and batch). `@tensorslim/admm`'s `CompressSettings`
 * has these fields and more; a report stores the whole settings object it was given.
 */
export interface ReportSettings {
  /** Dense training epochs before ADMM. */
  readonly pretrainEpochs: number;
  /** ADMM training epochs. */
  readonly admmEpochs: number;
  /** Learning rate of the ADMM phase. */
  readonly admmLr: number;
  /** Fine-tuning epochs after decomposition. */
  readonly finetuneEpochs: number;
  /** Fine-tuning learning rate. */
  readonly finetuneLr: number;
  /** ADMM penalty ρ. */
  readonly rho: number;
  /** ρ multiplied by `factor` after every `every` Z/U updates, never above `max`; null: constant. */
  readonly rhoSchedule: { readonly factor: number; readonly every: number; readonly max: number } | null;
  /** Z/U update after every epoch or every N training steps. */
  readonly updateEvery: 'epoch' | number;
  /** SGD momentum. */
  readonly momentum: number;
  /** Batch size. */
  readonly batchSize: number;
  /** Run seed. */
  readonly seed: number;
}

/** One compressed layer in a report: core's factorization report plus the error against the trained kernel. */
export interface ReportLayer extends FactorizedLayerReport {
  /**
   * ‖W − Ŵ‖_F/‖W‖_F, measured in float64: W is the dense kernel the arm trained (ADMM: the
   * ADMM-trained kernel, which ADMM decomposes through its projection Π(W); the direct arms: the
   * kernel they decompose), Ŵ the kernel of the decomposed layer. `null` when the model surgery
   * in use did not measure it.
   */
  readonly trainedError: number | null;
}

/**
 * The arms of a compress run, all from the same dense model: ADMM; the direct arm (decompose the
 * dense model as it is); the direct arm with the same total epochs (dense training continued for
 * the ADMM epochs, then decomposed). Each ends with the same fine-tuning.
 */
export type Arm = 'admm' | 'baseline' | 'continued';

/** How each arm is named in reports and tables. */
export const ARM_LABELS: Readonly<Record<Arm, string>> = {
  admm: 'ADMM + fine-tune',
  baseline: 'direct + fine-tune',
  continued: 'direct, same total epochs',
};

/** The training epochs an arm got within one compress run (the dense model's own training before it is not counted). */
export interface EpochBudget {
  /** Dense pretraining in this run, shared by every arm. */
  readonly pretrain: number;
  /** Epochs between the dense model and decomposition: ADMM epochs (with the penalty) for ADMM, plain dense epochs for the continued arm, 0 for the direct arm. */
  readonly beforeDecompose: number;
  /** What those epochs were: 'admm', 'dense' or 'none'. */
  readonly beforeDecomposeKind: 'admm' | 'dense' | 'none';
  /** Fine-tuning epochs after decomposition. */
  readonly finetune: number;
  /** pretrain + beforeDecompose + finetune. */
  readonly total: number;
}

/** The epoch budget of an arm under the given settings. */
export function epochBudget(arm: Arm, s: Pick<ReportSettings, 'pretrainEpochs' | 'admmEpochs' | 'finetuneEpochs'>): EpochBudget {
  const beforeDecompose = arm === 'baseline' ? 0 : s.admmEpochs;
  const beforeDecomposeKind = arm === 'baseline' ? 'none' : arm === 'admm' ? 'admm' : 'dense';
  return {
    pretrain: s.pretrainEpochs,
    beforeDecompose,
    beforeDecomposeKind,
    finetune: s.finetuneEpochs,
    total: s.pretrainEpochs + beforeDecompose + s.finetuneEpochs,
  };
}

/** An epoch budget as text, e.g. "2 ADMM + 1 fine-tuning = 3", with `dense` epochs of earlier training in front when given. */
export function budgetText(b: EpochBudget, dense = 0): string {
  const parts: string[] = [];
  if (dense + b.pretrain > 0) parts.push(`${dense + b.pretrain} dense`);
  if (b.beforeDecomposeKind !== 'none') parts.push(`${b.beforeDecompose} ${b.beforeDecomposeKind === 'admm' ? 'ADMM' : 'dense (continued)'}`);
  parts.push(`${b.finetune} fine-tuning`);
  return `${parts.join(' + ')} = ${dense + b.total}`;
}

/**
 * ADMM has converged on a layer set when the final primal residual max ‖W−Z‖/‖W‖ is at most
 * this; above it, reports say "not converged".
 */
export const CONVERGED_PRIMAL = 0.05;

/** The numbers of one arm. */
export interface MethodResult {
  /** Which arm. */
  readonly method: Arm;
  /** Its training epochs in this run. */
  readonly budget: EpochBudget;
  /** Per compressed layer: format, ranks, params and FLOPs before/after, errors. */
  readonly layers: readonly ReportLayer[];
  /** The trained dense model right before decomposition (ADMM: ADMM-trained; continued: after the continued epochs; direct: null, it is the dense model). */
  readonly trained: Evaluation | null;
  /** Right after decomposition, before fine-tuning. */
  readonly afterDecompose: Evaluation;
  /** After fine-tuning: the method's result. */
  readonly final: Evaluation;
  /** Parameters of the whole dense model. */
  readonly paramsBefore: number;
  /** Parameters of the whole compressed model. */
  readonly paramsAfter: number;
  /** paramsBefore / paramsAfter. */
  readonly modelCompressionRatio: number;
  /** Parameters of the compressed layers, dense. */
  readonly layerParamsBefore: number;
  /** Parameters of the compressed layers, factorized. */
  readonly layerParamsAfter: number;
  /** layerParamsBefore / layerParamsAfter: the compression ratio of the compressed layers. */
  readonly compressionRatio: number;
  /** Multiply-adds per example of the compressed layers, dense. */
  readonly flopsBefore: number;
  /** Multiply-adds per example of the compressed layers, factorized. */
  readonly flopsAfter: number;
  /** Where the model was saved, if it was. */
  readonly modelDir: string | null;
}

/** The data a report is about. */
export interface ReportData {
  /** Data source name. */
  readonly name: string;
  /** Training examples. */
  readonly trainSize: number;
  /** Validation examples. */
  readonly valSize: number;
  /** One example's shape. */
  readonly inputShape: readonly number[];
  /** Number of classes (or outputs). */
  readonly numClasses: number;
}

/** The dense model before compression. */
export interface DenseSummary {
  /** Validation loss/accuracy. */
  readonly evaluation: Evaluation;
  /** Parameters. */
  readonly params: number;
}

/** Wall time of one phase. */
export interface PhaseTime {
  /** Phase name. */
  readonly name: string;
  /** Milliseconds (summed across resumes). */
  readonly ms: number;
}

/** Everything a compress run reports; `S` is the type of the settings it stores (admm: its `CompressSettings`). */
export interface CompressReport<S extends ReportSettings = ReportSettings> {
  /** Report format version (2: three arms, epoch budgets, measured errors against the trained kernels). */
  readonly version: 2;
  /** ISO time the report was made. */
  readonly createdAt: string;
  /** TF.js backend used. */
  readonly backend: string;
  /** Threads the training steps ran on (1: in process; N: data-parallel worker threads). */
  readonly threads: number;
  /** The data. */
  readonly data: ReportData;
  /** The plan. */
  readonly plan: CompressionPlan;
  /** The settings (hyperparameters) of the run. */
  readonly settings: S;
  /** The dense model before compression (after pretraining, if any). */
  readonly dense: DenseSummary;
  /** ADMM → decompose → fine-tune. */
  readonly admm: MethodResult;
  /** Decompose → fine-tune (when the direct arm ran). */
  readonly baseline: MethodResult | null;
  /** Continued dense training → decompose → fine-tune (when the same-epochs direct arm ran). */
  readonly continued: MethodResult | null;
  /** Residuals of every ADMM update. */
  readonly admmHistory: readonly AdmmUpdateRecord[];
  /** Every epoch of every training phase. */
  readonly epochs: readonly EpochRecord[];
  /** Wall time per phase, ms. */
  readonly phases: readonly PhaseTime[];
  /** Sum of the phase times, ms. */
  readonly totalMs: number;
  /** Whether ADMM stopped early on its tolerances. */
  readonly stoppedEarly: boolean;
}

/** Fills a {@link MethodResult}'s budget, derived totals and ratios. */
export function buildMethodResult(
  method: Arm,
  r: Pick<MethodResult, 'layers' | 'trained' | 'afterDecompose' | 'final' | 'paramsBefore' | 'paramsAfter' | 'modelDir'>,
  settings: Pick<ReportSettings, 'pretrainEpochs' | 'admmEpochs' | 'finetuneEpochs'>,
): MethodResult {
  const sum = (f: (l: ReportLayer) => number) => r.layers.reduce((a, l) => a + f(l), 0);
  const layerParamsBefore = sum((l) => l.paramsBefore);
  const layerParamsAfter = sum((l) => l.paramsAfter);
  return {
    method,
    budget: epochBudget(method, settings),
    ...r,
    modelCompressionRatio: r.paramsBefore / r.paramsAfter,
    layerParamsBefore,
    layerParamsAfter,
    compressionRatio: layerParamsBefore / layerParamsAfter,
    flopsBefore: sum((l) => l.flopsBefore),
    flopsAfter: sum((l) => l.flopsAfter),
  };
}

/**
 * What {@link buildReport} assembles: the report's own fields, with the data source itself (the
 * report keeps its name and sizes) and the wall time per phase as a record. `S` is the type of
 * the settings.
 */
export interface ReportInputs<S extends ReportSettings = ReportSettings> extends Pick<
  CompressReport<S>,
  'backend' | 'threads' | 'plan' | 'settings' | 'dense' | 'admm' | 'baseline' | 'continued' | 'admmHistory' | 'epochs' | 'stoppedEarly'
> {
  /** The data source. */
  readonly data: DataSource;
  /** Wall time per phase, ms. */
  readonly phaseMs: Readonly<Record<string, number>>;
}

/** Assembles the report. */
export function buildReport<S extends ReportSettings>(a: ReportInputs<S>): CompressReport<S> {
  const phases = Object.entries(a.phaseMs).map(([name, ms]) => ({ name, ms }));
  return {
    version: 2,
    createdAt: new Date().toISOString(),
    backend: a.backend,
    threads: a.threads,
    data: { name: a.data.name, trainSize: a.data.trainSize, valSize: a.data.valSize, inputShape: [...a.data.inputShape], numClasses: a.data.numClasses },
    plan: a.plan,
    settings: a.settings,
    dense: a.dense,
    admm: a.admm,
    baseline: a.baseline,
    continued: a.continued,
    admmHistory: a.admmHistory,
    epochs: a.epochs,
    phases,
    totalMs: phases.reduce((s, p) => s + p.ms, 0),
    stoppedEarly: a.stoppedEarly,
  };
}

const acc = (e: Evaluation | null | undefined) => (e && e.accuracy !== null ? formatPercent(e.accuracy) : '—');

/** Training-curve series (one x axis over all phases: the epoch count so far). */
function curves(epochs: readonly EpochRecord[], pick: (e: EpochRecord) => number | null, label: string): PlotSeries[] {
  const phases = [...new Set(epochs.map((e) => e.phase))];
  const xs = new Map<EpochRecord, number>();
  epochs.forEach((e, i) => xs.set(e, i + 1));
  return phases.map((p) => {
    const es = epochs.filter((e) => e.phase === p);
    return { name: `${p} ${label}`, x: es.map((e) => xs.get(e)!), y: es.map((e) => pick(e)) };
  });
}

/** The SVG plots of a report, by file name. */
export function reportPlots(r: CompressReport): Record<string, string> {
  const loss = [...curves(r.epochs, (e) => e.trainLoss, 'train'), ...curves(r.epochs, (e) => e.valLoss, 'val').map((s) => ({ ...s, dashed: true }))];
  const accuracy = [
    ...curves(r.epochs, (e) => e.trainAccuracy, 'train'),
    ...curves(r.epochs, (e) => e.valAccuracy, 'val').map((s) => ({ ...s, dashed: true })),
  ];
  const h = r.admmHistory;
  const layerNames = h.length ? h[0]!.layers.map((l) => l.name) : [];
  const residuals: PlotSeries[] = [
    { name: 'primal ‖W−Z‖/‖W‖ (max)', x: h.map((u) => u.update), y: h.map((u) => u.primal) },
    { name: 'dual ρ‖Z−Z_prev‖ (max)', x: h.map((u) => u.update), y: h.map((u) => u.dual) },
    ...(layerNames.length <= 6
      ? layerNames.map((n) => ({
          name: `primal ${n}`,
          x: h.map((u) => u.update),
          y: h.map((u) => u.layers.find((l) => l.name === n)?.primal ?? null),
          dashed: true,
        }))
      : []),
  ];
  return {
    'loss.svg': linePlotSvg({ title: 'Loss per epoch', xLabel: 'epoch (all phases)', yLabel: 'loss', series: loss }),
    'accuracy.svg': linePlotSvg({ title: 'Accuracy per epoch', xLabel: 'epoch (all phases)', yLabel: 'accuracy', series: accuracy }),
    'residuals.svg': linePlotSvg({ title: 'ADMM residuals', xLabel: 'Z/U update', yLabel: 'residual', logY: true, series: residuals }),
  };
}

function layerTable(m: MethodResult): string {
  return markdownTable(
    ['layer', 'format', 'ranks', 'params before', 'params after', 'ratio', 'FLOPs before', 'FLOPs after', 'rel. error vs trained W'],
    m.layers.map((l) => [
      l.name,
      l.format,
      l.ranks.join(', '),
      l.paramsBefore,
      l.paramsAfter,
      `${formatNumber(l.paramsBefore / l.paramsAfter, 3)}×`,
      l.flopsBefore,
      l.flopsAfter,
      l.trainedError === null ? '—' : formatNumber(l.trainedError, 3),
    ]),
    { align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'] },
  );
}

/** The arms a report holds, ADMM first. */
export function reportArms(r: CompressReport): MethodResult[] {
  return [r.admm, ...(r.baseline ? [r.baseline] : []), ...(r.continued ? [r.continued] : [])];
}

/** The final primal residual (max over layers) of a run's ADMM, or null when ADMM made no update. */
export function finalPrimal(history: readonly AdmmUpdateRecord[]): number | null {
  return history.length ? history[history.length - 1]!.primal : null;
}

/** One sentence on whether ADMM converged, by {@link CONVERGED_PRIMAL}. */
function convergenceText(r: CompressReport): string {
  const p = finalPrimal(r.admmHistory);
  if (p === null) return 'ADMM made no Z/U update.';
  return p <= CONVERGED_PRIMAL
    ? `ADMM converged: the final primal residual max ‖W−Z‖/‖W‖ is ${formatNumber(p, 3)} (≤ ${CONVERGED_PRIMAL}).`
    : `ADMM did **not** converge: the final primal residual max ‖W−Z‖/‖W‖ is ${formatNumber(p, 3)} (> ${CONVERGED_PRIMAL}); the ADMM-trained weights are not on the low-rank set.`;
}

/** The Markdown page of a report (the plots are referenced as loss.svg, accuracy.svg, residuals.svg). */
export function reportMarkdown(r: CompressReport): string {
  const s = r.settings;
  const methods = reportArms(r);
  const denseFlops = formatNumber(r.admm.flopsBefore);
  const rows: (string | number | null)[][] = [
    ['dense (before)', acc(r.dense.evaluation), formatNumber(r.dense.evaluation.loss), r.dense.params, '1×', denseFlops, String(s.pretrainEpochs)],
  ];
  for (const m of methods) {
    const name = ARM_LABELS[m.method];
    const ratio = `${formatNumber(m.compressionRatio, 3)}× (model ${formatNumber(m.modelCompressionRatio, 3)}×)`;
    const flops = `${formatNumber(m.flopsBefore)} → ${formatNumber(m.flopsAfter)}`;
    const b = m.budget;
    if (m.trained)
      rows.push([
        `${name}: trained, before decomposition`,
        acc(m.trained),
        formatNumber(m.trained.loss),
        r.dense.params,
        '1×',
        denseFlops,
        String(b.pretrain + b.beforeDecompose),
      ]);
    rows.push([
      `${name}: decomposed, before fine-tuning`,
      acc(m.afterDecompose),
      formatNumber(m.afterDecompose.loss),
      m.paramsAfter,
      ratio,
      flops,
      String(b.pretrain + b.beforeDecompose),
    ]);
    rows.push([`${name}: final`, acc(m.final), formatNumber(m.final.loss), m.paramsAfter, ratio, flops, String(b.total)]);
  }
  const out: string[] = [];
  out.push('# tensorslim compress report', '');
  out.push(
    `Data **${r.data.name}** (${r.data.trainSize} train / ${r.data.valSize} validation examples), backend **${r.backend}** on ${r.threads} thread${r.threads > 1 ? 's' : ''}, ` +
      `${r.createdAt}. ADMM ${s.admmEpochs} epochs at lr ${s.admmLr} (ρ = ${s.rho}${s.rhoSchedule ? `, ×${s.rhoSchedule.factor} every ${s.rhoSchedule.every} updates up to ${s.rhoSchedule.max}` : ', constant'}, ` +
      `Z/U update every ${s.updateEvery === 'epoch' ? 'epoch' : `${s.updateEvery} steps`}${r.stoppedEarly ? ', stopped early on its tolerances' : ''}), ` +
      `fine-tuning ${s.finetuneEpochs} epochs at lr ${s.finetuneLr}, SGD momentum ${s.momentum}, batch ${s.batchSize}, seed ${s.seed}.`,
    '',
  );
  const layerNames = r.admm.layers.map((l) => l.name);
  out.push(
    `Compressed layers (${layerNames.length}): ${r.admm.layers.map((l) => `${l.name} (${l.paramsBefore} → ${l.paramsAfter} params)`).join(', ')}; ` +
      `${r.admm.layerParamsBefore} of the model's ${r.dense.params} parameters. Every other layer stays dense.`,
    '',
    convergenceText(r),
    '',
  );
  out.push('## Epoch budgets', '');
  out.push(
    `Epochs of training in this run per arm, from the same dense model${s.pretrainEpochs ? ` (after ${s.pretrainEpochs} epochs of pretraining here)` : ' (its own training before this run is not counted)'}:`,
    '',
    ...methods.map(
      (m) => `- ${ARM_LABELS[m.method]}: ${budgetText(m.budget)}${m.method === 'continued' ? ` (lr ${s.admmLr}, the ADMM batch order, no penalty)` : ''}.`,
    ),
    '',
  );
  out.push('## Summary', '');
  out.push(
    markdownTable(['model', 'accuracy', 'loss', 'params', 'compression (compressed layers)', 'FLOPs of compressed layers', 'epochs'], rows, {
      align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    }),
  );
  out.push('## Layers', '');
  out.push('"rel. error vs trained W" is ‖W − Ŵ‖/‖W‖: W the dense kernel the arm trained, Ŵ the kernel of its decomposed layer (before fine-tuning).', '');
  for (const m of methods) {
    out.push(`### ${ARM_LABELS[m.method]}`, '', layerTable(m));
  }
  out.push('## Training curves', '', '![loss](loss.svg)', '', '![accuracy](accuracy.svg)', '');
  out.push('## ADMM residuals', '', '![residuals](residuals.svg)', '');
  if (r.admmHistory.length) {
    const h = r.admmHistory;
    const pick = h.length <= 12 ? h : h.filter((_, i) => i % Math.ceil(h.length / 10) === 0 || i === h.length - 1);
    out.push(
      markdownTable(
        ['update', 'epoch', 'ρ', 'primal ‖W−Z‖/‖W‖ (max)', 'dual ρ‖Z−Z_prev‖ (max)'],
        pick.map((u) => [u.update, u.epoch, u.rho, formatNumber(u.primal, 3), formatNumber(u.dual, 3)]),
        { align: ['right', 'right', 'right', 'right', 'right'] },
      ),
    );
  }
  out.push('## Phase times', '');
  out.push(
    markdownTable(['phase', 'time'], [...r.phases.map((p) => [p.name, formatDuration(p.ms)]), ['total', formatDuration(r.totalMs)]], {
      align: ['left', 'right'],
    }),
  );
  out.push('## Settings', '', '```json', JSON.stringify({ settings: r.settings, plan: r.plan }, null, 2), '```', '');
  return out.join('\n');
}

/** Writes report.json, report.md and the three SVG plots into `dir`, each with core's `writeFileAtomic` (fsync, rename, fsync of the directory). */
export async function writeReport(dir: string, report: CompressReport): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  for (const [name, svg] of Object.entries(reportPlots(report))) await writeFileAtomic(join(dir, name), svg);
  await writeFileAtomic(join(dir, 'report.md'), reportMarkdown(report));
}
