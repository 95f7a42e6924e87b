/**
 * The compress report: a JSON document for programs (report.json) and a Markdown page with SVG
 * plots for people (report.md, loss.svg, accuracy.svg, residuals.svg).
 *
 * @module
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompressionPlan, DataSource } from '@tensorslim/core';
import { formatDuration, formatNumber, formatPercent, linePlotSvg, markdownTable, type PlotSeries } from './report/index.js';
import type { Evaluation } from './evaluate.js';
import type { AdmmUpdateRecord, EpochRecord } from './events.js';
import type { CompressSettings } from './options.js';
import type { LayerFactorization } from './surgery.js';

/** One compressed layer in a report: core's factorization report plus the error against the trained kernel. */
export interface ReportLayer extends LayerFactorization {
  /**
   * ‖W − Ŵ‖/‖W‖ against the trained dense kernel W. For the baseline this is `relError`; for
   * ADMM, which decomposes Π(W), it is ‖W − Π(W)‖/‖W‖ combined with the decomposition's error.
   */
  readonly trainedError: number;
}

/** The numbers of one method (ADMM or the baseline). */
export interface MethodResult {
  /** 'admm' or 'baseline'. */
  readonly method: 'admm' | 'baseline';
  /** Per compressed layer: format, ranks, params and FLOPs before/after, errors. */
  readonly layers: readonly ReportLayer[];
  /** The ADMM-trained dense model, before decomposition (ADMM only). */
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

/** Everything a compress run reports. */
export interface CompressReport {
  /** Report format version. */
  readonly version: 1;
  /** ISO time the report was made. */
  readonly createdAt: string;
  /** TF.js backend used. */
  readonly backend: string;
  /** The data. */
  readonly data: ReportData;
  /** The plan. */
  readonly plan: CompressionPlan;
  /** The settings (hyperparameters) of the run. */
  readonly settings: CompressSettings;
  /** The dense model before compression (after pretraining, if any). */
  readonly dense: DenseSummary;
  /** ADMM → decompose → fine-tune. */
  readonly admm: MethodResult;
  /** Decompose → fine-tune (when the baseline ran). */
  readonly baseline: MethodResult | null;
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

/** Fills a {@link MethodResult}'s derived totals and ratios. */
export function buildMethodResult(
  method: 'admm' | 'baseline',
  r: Pick<MethodResult, 'layers' | 'trained' | 'afterDecompose' | 'final' | 'paramsBefore' | 'paramsAfter' | 'modelDir'>,
): MethodResult {
  const sum = (f: (l: ReportLayer) => number) => r.layers.reduce((a, l) => a + f(l), 0);
  const layerParamsBefore = sum((l) => l.paramsBefore);
  const layerParamsAfter = sum((l) => l.paramsAfter);
  return {
    method,
    ...r,
    modelCompressionRatio: r.paramsBefore / r.paramsAfter,
    layerParamsBefore,
    layerParamsAfter,
    compressionRatio: layerParamsBefore / layerParamsAfter,
    flopsBefore: sum((l) => l.flopsBefore),
    flopsAfter: sum((l) => l.flopsAfter),
  };
}

/** What {@link buildReport} assembles. */
export interface ReportInputs {
  /** TF.js backend name. */
  readonly backend: string;
  /** The data source. */
  readonly data: DataSource;
  /** The plan. */
  readonly plan: CompressionPlan;
  /** The settings. */
  readonly settings: CompressSettings;
  /** The dense model before compression. */
  readonly dense: DenseSummary;
  /** ADMM's numbers. */
  readonly admm: MethodResult;
  /** The baseline's numbers, if it ran. */
  readonly baseline: MethodResult | null;
  /** Every ADMM update. */
  readonly admmHistory: readonly AdmmUpdateRecord[];
  /** Every epoch. */
  readonly epochs: readonly EpochRecord[];
  /** Wall time per phase, ms. */
  readonly phaseMs: Readonly<Record<string, number>>;
  /** Whether ADMM stopped early. */
  readonly stoppedEarly: boolean;
}

/** Assembles the report. */
export function buildReport(a: ReportInputs): CompressReport {
  const phases = Object.entries(a.phaseMs).map(([name, ms]) => ({ name, ms }));
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    backend: a.backend,
    data: { name: a.data.name, trainSize: a.data.trainSize, valSize: a.data.valSize, inputShape: [...a.data.inputShape], numClasses: a.data.numClasses },
    plan: a.plan,
    settings: a.settings,
    dense: a.dense,
    admm: a.admm,
    baseline: a.baseline,
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
  const loss = [
    ...curves(r.epochs, (e) => e.trainLoss, 'train'),
    ...curves(r.epochs, (e) => e.valLoss, 'val').map((s) => ({ ...s, dashed: true })),
  ];
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
      ? layerNames.map((n) => ({ name: `primal ${n}`, x: h.map((u) => u.update), y: h.map((u) => u.layers.find((l) => l.name === n)?.primal ?? null), dashed: true }))
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
      formatNumber(l.trainedError, 3),
    ]),
    { align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'] },
  );
}

/** The Markdown page of a report (the plots are referenced as loss.svg, accuracy.svg, residuals.svg). */
export function reportMarkdown(r: CompressReport): string {
  const s = r.settings;
  const methods = [r.admm, ...(r.baseline ? [r.baseline] : [])];
  const denseFlops = formatNumber(r.admm.flopsBefore);
  const rows: (string | number | null)[][] = [['dense (before)', acc(r.dense.evaluation), formatNumber(r.dense.evaluation.loss), r.dense.params, '1×', denseFlops]];
  rows.push(['ADMM-trained dense (before decomposition)', acc(r.admm.trained), formatNumber(r.admm.trained?.loss), r.dense.params, '1×', denseFlops]);
  for (const m of methods) {
    const name = m.method === 'admm' ? 'ADMM' : 'baseline (direct decomposition)';
    const ratio = `${formatNumber(m.compressionRatio, 3)}× (model ${formatNumber(m.modelCompressionRatio, 3)}×)`;
    const flops = `${formatNumber(m.flopsBefore)} → ${formatNumber(m.flopsAfter)}`;
    rows.push([`${name}: decomposed`, acc(m.afterDecompose), formatNumber(m.afterDecompose.loss), m.paramsAfter, ratio, flops]);
    rows.push([`${name}: fine-tuned`, acc(m.final), formatNumber(m.final.loss), m.paramsAfter, ratio, flops]);
  }
  const out: string[] = [];
  out.push('# tensorslim compress report', '');
  out.push(
    `Data **${r.data.name}** (${r.data.trainSize} train / ${r.data.valSize} validation examples), backend **${r.backend}**, ` +
      `${r.createdAt}. ADMM ${s.admmEpochs} epochs at lr ${s.admmLr} (ρ = ${s.rho}${s.rhoSchedule ? `, ×${s.rhoSchedule.factor} every ${s.rhoSchedule.every} updates up to ${s.rhoSchedule.max}` : ', constant'}, ` +
      `Z/U update every ${s.updateEvery === 'epoch' ? 'epoch' : `${s.updateEvery} steps`}${r.stoppedEarly ? ', stopped early on its tolerances' : ''}), ` +
      `fine-tuning ${s.finetuneEpochs} epochs at lr ${s.finetuneLr}, SGD momentum ${s.momentum}, batch ${s.batchSize}, seed ${s.seed}.`,
    '',
  );
  out.push('## Summary', '');
  out.push(
    markdownTable(['model', 'accuracy', 'loss', 'params', 'compression (compressed layers)', 'FLOPs of compressed layers'], rows, {
      align: ['left', 'right', 'right', 'right', 'right', 'right'],
    }),
  );
  out.push('## Layers', '');
  for (const m of methods) {
    out.push(`### ${m.method === 'admm' ? 'ADMM' : 'Baseline'}`, '', layerTable(m));
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
  out.push(markdownTable(['phase', 'time'], [...r.phases.map((p) => [p.name, formatDuration(p.ms)]), ['total', formatDuration(r.totalMs)]], { align: ['left', 'right'] }));
  out.push('## Settings', '', '```json', JSON.stringify({ settings: r.settings, plan: r.plan }, null, 2), '```', '');
  return out.join('\n');
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes report.json, report.md and the three SVG plots into `dir` (each file atomically). */
export function writeReport(dir: string, report: CompressReport): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'report.json'), JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  for (const [name, svg] of Object.entries(reportPlots(report))) writeAtomic(join(dir, name), svg);
  writeAtomic(join(dir, 'report.md'), reportMarkdown(report));
}
