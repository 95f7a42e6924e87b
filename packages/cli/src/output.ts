/**
 * What the command prints: one-line errors, JSON lines, medians.
 *
 * @module
 */
import { TensorslimError } from '@tensorslim/core';
import type { BudgetPlanResult, ModelCost } from '@tensorslim/surgery';

/** Formats an error as the single stderr line the command prints. */
export function errorLine(e: unknown): string {
  if (e instanceof TensorslimError) return `tensorslim: error ${e.code}: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
  const err = e as { code?: string; message?: string };
  if (err && err.code === 'ENOENT') return `tensorslim: error TS_DATA: ${err.message}`;
  return `tensorslim: error: ${err?.message ?? String(e)}`;
}

/** The median of a non-empty list (@tensorslim/bench's). */
export { median } from '@tensorslim/bench';

/** "P params, F MACs" of a whole model, with the fractions of `before` when given. */
export function costLine(c: ModelCost, before?: ModelCost): string {
  const frac = (a: number, b: number) => ` (${((100 * a) / Math.max(1, b)).toFixed(1)}%)`;
  return `${c.params} params${before ? frac(c.params, before.params) : ''}, ${c.flops} MACs/example${before ? frac(c.flops, before.flops) : ''}`;
}

/** What a budget allocation achieves, in two lines: the target, and the whole model before → after. */
export function modelBudgetText(b: BudgetPlanResult): string {
  const want = [
    b.target.targetParams !== undefined ? `params ≤ ${b.target.targetParams}` : '',
    b.target.targetFlops !== undefined ? `MACs ≤ ${b.target.targetFlops}` : '',
  ].filter(Boolean);
  return (
    `budget (${want.join(', ')} of the whole model): ${b.layers.length} layers factorized\n` +
    `whole model: before ${costLine(b.before)}; after ${costLine(b.after, b.before)} (predicted)\n`
  );
}
