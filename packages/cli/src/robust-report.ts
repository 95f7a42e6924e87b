/**
 * The robust-accuracy part of the `train` and `compress` reports: PGD accuracy (fixed seed) beside
 * the clean accuracy of each model, added to report.json as `robust` and to report.md as a table.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { markdownTable } from '@tensorslim/report';
import { type DataSource } from '@tensorslim/core';
import { writeFileAtomic } from '@tensorslim/io';
import { robustEvaluate, type AttackOptions, type RobustEvaluation } from '@tensorslim/robust';

/** The robust section of a report. */
export interface RobustSection {
  /** The training attack (null: natural training). */
  readonly training: AttackOptions | null;
  /** The evaluation attack (PGD, fixed seed). */
  readonly evaluation: RobustEvaluation['attack'];
  /** Clean and robust accuracy per model. */
  readonly models: Readonly<Record<string, { readonly clean: number; readonly robust: number; readonly examples: number }>>;
}

/** Clean and robust accuracy of each model on the validation split (evaluation batch 256). */
export async function robustSection(
  models: Readonly<Record<string, tfl.LayersModel | null>>,
  data: DataSource,
  training: AttackOptions | null,
  attack: AttackOptions,
): Promise<RobustSection> {
  let evaluation: RobustEvaluation['attack'] | null = null;
  const out: Record<string, { clean: number; robust: number; examples: number }> = {};
  for (const [name, model] of Object.entries(models)) {
    if (!model) continue;
    const r = await robustEvaluate(model, data, attack);
    evaluation = r.attack;
    out[name] = { clean: r.clean, robust: r.robust, examples: r.examples };
  }
  return { training, evaluation: evaluation!, models: out };
}

/** Markdown of a {@link RobustSection}. */
export function robustMarkdown(s: RobustSection): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const a = s.evaluation;
  const t = s.training;
  return [
    '## Robust accuracy',
    '',
    `Training: ${t ? `adversarial, PGD ε = ${t.eps}, ${t.steps ?? 7} step(s)${t.stepSize ? `, step ${t.stepSize}` : ''}` : 'natural'}. ` +
      `Evaluation: PGD ε = ${a.eps}, ${a.steps} steps of ${(a.stepSize ?? (2.5 * a.eps) / a.steps).toFixed(4)}, random start, seed ${a.seed}.`,
    '',
    markdownTable(
      ['model', 'clean accuracy', 'robust accuracy', 'examples'],
      Object.entries(s.models).map(([name, m]) => [name, pct(m.clean), pct(m.robust), m.examples]),
    ),
    '',
  ].join('\n');
}

/** Adds the section to `dir`/report.json (as `robust`) and appends it to `dir`/report.md. */
export async function addRobustSection(dir: string, s: RobustSection): Promise<void> {
  const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
  await writeFileAtomic(join(dir, 'report.json'), JSON.stringify({ ...json, robust: s }, null, 2) + '\n');
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  await writeFileAtomic(join(dir, 'report.md'), md.trimEnd() + '\n\n' + robustMarkdown(s));
}
