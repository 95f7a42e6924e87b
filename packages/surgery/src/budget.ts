/**
 * Whole-model budgets: keep at most a fraction of a model's parameters and/or multiply-adds,
 * choosing every layer's ranks together so that the damage is least. Each candidate layer offers
 * a ladder of rank choices (its format's `Decomposition.rankLadder`, or
 * {@link measuredRankLadder}), each with its cost (parameters, multiply-adds of the forward that
 * would run) and its relative squared error ‖W − Ŵ‖²/‖W‖². {@link allocateBudget} walks the
 * lower convex hull of every layer's (cost, error) points and takes the steps that add the least
 * error per unit of cost saved, across all layers, until the budget holds — the greedy
 * spectrum-based allocation of Kim et al. 2016 / Zhang et al. 2016 made format-generic. Nothing
 * here names a format.
 *
 * @module
 */
import { z } from 'zod';
import { opt, type DecomposeOptions, type Decomposition, type RankStep, type TensorLayout } from '@tensorslim/core';
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';

const fraction = z.number().gt(0).max(1);

/**
 * The budget options (`--target-params F`, `--target-flops F`): fractions 0 < F ≤ 1 of the whole
 * model's parameters / multiply-adds per example that the compressed model may keep. Commands
 * and APIs that take a budget compose their schemas from these fields.
 */
export const budgetSchema = z.object({
  targetParams: opt(fraction.optional(), {
    description: "keep at most this fraction of the whole model's parameters (e.g. 0.5); every layer's ranks are chosen together to meet it",
    allowed: 'a number with 0 < F ≤ 1',
    arg: 'F',
  }),
  targetFlops: opt(fraction.optional(), {
    description:
      "keep at most this fraction of the whole model's multiply-adds per example (MACs, e.g. 0.5); every layer's ranks are chosen together to meet it",
    allowed: 'a number with 0 < F ≤ 1',
    arg: 'F',
  }),
});

/** A whole-model budget: fractions of the model's parameters and/or multiply-adds (see {@link budgetSchema}). */
export type BudgetTarget = z.infer<typeof budgetSchema>;

/** Whether a budget asks for anything. */
export function hasBudget(t: BudgetTarget | undefined): t is BudgetTarget {
  return t !== undefined && (t.targetParams !== undefined || t.targetFlops !== undefined);
}

/** One rank choice of a layer, costed. */
export interface BudgetChoice {
  /** Ranks in the format's convention. */
  readonly ranks: readonly number[];
  /** Parameters of the factorized layer (cores + bias). */
  readonly params: number;
  /** Multiply-adds per example of the forward that would run. */
  readonly flops: number;
  /** Relative squared error ‖W − Ŵ‖²_F / ‖W‖²_F (exact, or the format's bound). */
  readonly err2: number;
}

/** A layer the allocator may factorize: its cost as it is, and its rank choices. */
export interface BudgetLayer {
  /** Layer name. */
  readonly name: string;
  /** Parameters of the layer as it is (kernel + bias). */
  readonly params: number;
  /** Multiply-adds per example of the layer as it is. */
  readonly flops: number;
  /** Its rank choices (any order). */
  readonly choices: readonly BudgetChoice[];
}

/** Whole-model parameters and multiply-adds per example. */
export interface ModelCost {
  /** Parameters. */
  readonly params: number;
  /** Multiply-adds per example. */
  readonly flops: number;
}

/** {@link allocateBudget}'s result. */
export interface BudgetAllocation {
  /** The chosen rank choice per layer name; layers left as they are are absent. */
  readonly choices: Readonly<Record<string, BudgetChoice>>;
  /** The whole model's cost after. */
  readonly after: ModelCost;
  /** Whether the budget holds. */
  readonly met: boolean;
  /** Σ of the chosen layers' relative squared errors. */
  readonly err2: number;
}

interface Point {
  readonly choice: BudgetChoice | null; // null: the layer as it is
  readonly params: number;
  readonly flops: number;
  readonly err2: number;
}

/** The lower convex hull of a layer's (cost, error) points, from the layer as it is to the cheapest. */
function hull(points: Point[], cost: (p: Point) => number): Point[] {
  const byCost = [...points].sort((a, b) => cost(a) - cost(b) || a.err2 - b.err2);
  const h: Point[] = [];
  for (const p of byCost) {
    if (h.length && cost(h[h.length - 1]!) === cost(p)) continue; // same cost, larger error
    while (h.length >= 2) {
      const a = h[h.length - 2]!;
      const b = h[h.length - 1]!;
      // drop b when it lies on or above the segment a → p
      const cross = (cost(b) - cost(a)) * (p.err2 - a.err2) - (b.err2 - a.err2) * (cost(p) - cost(a));
      if (cross <= 0) h.pop();
      else break;
    }
    h.push(p);
  }
  // only the part where error falls as cost rises
  let end = 0;
  for (let i = 1; i < h.length; i++) if (h[i]!.err2 < h[end]!.err2) end = i;
  return h.slice(0, end + 1).reverse();
}

/**
 * Chooses every layer's ranks so that the whole model meets `target` (fractions of `totals`)
 * with the least summed relative squared error the greedy finds: steps along each layer's lower
 * convex hull of (cost, error), the smallest error added per unit of cost saved first, then
 * upgrades back any layer whose richer choice still fits. The cost of a step weighs parameters by
 * 1/params and multiply-adds by 1/flops of the model, each only when its target is given.
 * Choices that cost more than the layer as it is are never taken.
 */
export function allocateBudget(layers: readonly BudgetLayer[], totals: ModelCost, target: BudgetTarget): BudgetAllocation {
  if (!hasBudget(target)) fail(ErrorCodes.OPTION, 'a budget needs targetParams or targetFlops', 'e.g. --target-params 0.5');
  const wp = target.targetParams !== undefined ? 1 / Math.max(1, totals.params) : 0;
  const wf = target.targetFlops !== undefined ? 1 / Math.max(1, totals.flops) : 0;
  const cost = (p: { params: number; flops: number }) => wp * p.params + wf * p.flops;
  const maxParams = (target.targetParams ?? Infinity) * totals.params;
  const maxFlops = (target.targetFlops ?? Infinity) * totals.flops;
  let params = totals.params;
  let flops = totals.flops;
  const met = () => params <= maxParams + 1e-9 && flops <= maxFlops + 1e-9;
  const current: Point[] = [];
  const segments: { layer: number; k: number; slope: number; to: Point }[] = [];
  const ladders: Point[][] = [];
  layers.forEach((l, li) => {
    const dense: Point = { choice: null, params: l.params, flops: l.flops, err2: 0 };
    const pts = [dense, ...l.choices.filter((c) => c.params <= l.params && c.flops <= l.flops && cost(c) < cost(dense)).map((c) => ({ choice: c, ...c }))];
    ladders.push(pts);
    const h = hull(pts, cost);
    current.push(h[0]!);
    for (let k = 1; k < h.length; k++) {
      const saved = cost(h[k - 1]!) - cost(h[k]!);
      segments.push({ layer: li, k, slope: (h[k]!.err2 - h[k - 1]!.err2) / saved, to: h[k]! });
    }
  });
  segments.sort((a, b) => a.slope - b.slope || a.layer - b.layer || a.k - b.k);
  const move = (li: number, to: Point) => {
    const from = current[li]!;
    params += to.params - from.params;
    flops += to.flops - from.flops;
    current[li] = to;
  };
  for (const s of segments) {
    if (met()) break;
    move(s.layer, s.to);
  }
  // give back: while some layer can take a choice with less error and the budget still holds, take the best
  for (let round = 0; met() && round < 4 * layers.length; round++) {
    let best: { li: number; to: Point; gain: number } | null = null;
    ladders.forEach((pts, li) => {
      const cur = current[li]!;
      for (const p of pts) {
        const gain = cur.err2 - p.err2;
        if (gain <= 0) continue;
        if (params + p.params - cur.params > maxParams + 1e-9 || flops + p.flops - cur.flops > maxFlops + 1e-9) continue;
        if (!best || gain > best.gain) best = { li, to: p, gain };
      }
    });
    if (!best) break;
    const b = best as { li: number; to: Point };
    move(b.li, b.to);
  }
  const choices: Record<string, BudgetChoice> = {};
  let err2 = 0;
  layers.forEach((l, i) => {
    const c = current[i]!.choice;
    if (c) choices[l.name] = c;
    err2 += current[i]!.err2;
  });
  return { choices, after: { params, flops }, met: met(), err2 };
}

/** The max ranks {@link measuredRankLadder} tries: the largest mode size down to 1, about ×0.8 each. */
function maxRankSteps(shape: readonly number[]): number[] {
  const out: number[] = [];
  for (let r = Math.max(...shape); r >= 1; r = Math.min(r - 1, Math.floor(r * 0.8))) out.push(r);
  if (out[out.length - 1] !== 1) out.push(1);
  return out;
}

/**
 * A rank ladder for a format without {@link Decomposition.rankLadder}: decomposes the tensor at a
 * series of max ranks (the largest mode size down to 1, about ×0.8 a step) and measures each
 * reconstruction's squared error exactly. Slower than a spectrum, exact for what the format does.
 */
export function measuredRankLadder(
  decomposition: Decomposition,
  tensor: DenseTensor,
  opts: DecomposeOptions & { readonly layout?: TensorLayout } = {},
): RankStep[] {
  const steps: RankStep[] = [];
  const seen = new Set<string>();
  for (const R of maxRankSteps(tensor.shape)) {
    const ranks = decomposition.resolveRanks(tensor.shape, { maxRank: R }, opts);
    const key = ranks.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    const back = decomposition.reconstruct(decomposition.decompose(tensor, { ranks }, opts));
    let e = 0;
    for (let i = 0; i < tensor.data.length; i++) e += (tensor.data[i]! - back.data[i]!) ** 2;
    steps.push({ ranks, err2: e });
  }
  return steps;
}

/** The achieved fractions of a cost against the model's totals, as "params 0.482, MACs 0.391". */
export function costFractions(after: ModelCost, before: ModelCost): { params: number; flops: number } {
  return { params: after.params / Math.max(1, before.params), flops: after.flops / Math.max(1, before.flops) };
}

/** Σ x² of a tensor. */
export function squaredNorm(t: DenseTensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i]! * t.data[i]!;
  return s;
}
