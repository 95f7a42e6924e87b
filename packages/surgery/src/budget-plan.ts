/**
 * A plan that meets a whole-model budget: every candidate layer's rank ladder costed with its
 * format's layer factory, then {@link allocateBudget} across the model.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  defaultRegistry,
  denseLayerInfo,
  readLayerValues,
  factorizability,
  resolveLayerTarget,
  resolvePlugin,
  tensorize,
  type CompressionPlan,
  type LayerPlan,
  type PluginRegistry,
} from '@tensorslim/core';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import {
  allocateBudget,
  costFractions,
  hasBudget,
  measuredRankLadder,
  squaredNorm,
  type BudgetChoice,
  type BudgetLayer,
  type BudgetTarget,
  type ModelCost,
} from './budget.js';
import { modelSummary } from './summary.js';

/** Options of {@link budgetPlan}. */
export interface BudgetPlanOptions {
  /** The budget (fractions of the whole model). */
  readonly target: BudgetTarget;
  /** Format of every candidate layer when no `base` plan is given. */
  readonly format?: string;
  /**
   * The candidate layers with their formats, modes and options (its rank specs are ignored);
   * default: every factorizable layer the format's layers can replace, with the format's
   * preferred (or suggested) modes.
   */
  readonly base?: CompressionPlan;
  /** Format options copied into every entry (when no `base` is given). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Registry to resolve formats from (default: the process-wide one). */
  readonly container?: PluginRegistry;
}

/** One layer of {@link BudgetPlanResult}. */
export interface BudgetLayerReport {
  /** Layer name. */
  readonly name: string;
  /** Plugin id. */
  readonly format: string;
  /** The chosen ranks. */
  readonly ranks: readonly number[];
  /** Parameters before → after. */
  readonly params: readonly [number, number];
  /** Multiply-adds per example before → after (the forward that would run). */
  readonly flops: readonly [number, number];
  /** Predicted relative error ‖W − Ŵ‖/‖W‖ (exact, or the format's bound). */
  readonly relError: number;
}

/** {@link budgetPlan}'s result. */
export interface BudgetPlanResult {
  /** The plan: explicit ranks per chosen layer (reusable with `--plan`). */
  readonly plan: CompressionPlan;
  /** The whole model before. */
  readonly before: ModelCost;
  /** The whole model after, as predicted from the chosen ranks. */
  readonly after: ModelCost;
  /** `after` as fractions of `before`. */
  readonly fractions: { readonly params: number; readonly flops: number };
  /** The budget asked for. */
  readonly target: BudgetTarget;
  /** The chosen layers, in model order. */
  readonly layers: readonly BudgetLayerReport[];
}

/**
 * A plan for `model` that meets a whole-model budget: for each candidate layer, its kernel
 * tensorized in the plan's layout, its format's rank ladder (`Decomposition.rankLadder`, else
 * {@link measuredRankLadder}), each rung costed by the format's `LayerFactory.costAt` (else the
 * decomposition's parameter count and the dense multiply-adds), then {@link allocateBudget}.
 * `TS_RANK` when the budget is out of reach even at the smallest ranks (the message says how far
 * it gets).
 */
export async function budgetPlan(model: tfl.LayersModel, opts: BudgetPlanOptions): Promise<BudgetPlanResult> {
  if (!hasBudget(opts.target)) fail(ErrorCodes.OPTION, 'a budget needs targetParams or targetFlops', 'e.g. --target-params 0.5');
  const container = opts.container ?? defaultRegistry;
  const summary = modelSummary(model);
  const rows = new Map(summary.layers.map((r) => [r.name, r]));
  const before: ModelCost = { params: summary.totalParams, flops: summary.totalFlops };
  const entries: [tfl.layers.Layer, LayerPlan][] = [];
  for (const layer of model.layers) {
    const f = factorizability(layer);
    if (!f.ok) continue;
    if (opts.base) {
      const e = opts.base.layers[layer.name];
      if (e) entries.push([layer, e]);
    } else {
      if (!opts.format) fail(ErrorCodes.OPTION, 'budgetPlan needs a format or a base plan');
      const plugin = resolvePlugin(opts.format, container);
      if (plugin.layers?.kinds.includes(f.kind!))
        entries.push([layer, { format: opts.format, ranks: { maxRank: 1 }, ...(opts.options ? { options: opts.options } : {}) }]);
    }
  }
  const candidates: BudgetLayer[] = [];
  const meta = new Map<string, { entry: LayerPlan; outModes: number[]; inModes: number[]; norm2: number }>();
  for (const [layer, entry] of entries) {
    const plugin = resolvePlugin(entry.format, container);
    const info = denseLayerInfo(layer, undefined, await readLayerValues(layer));
    const target = resolveLayerTarget(info.name, entry, info.kind, info.kernel.shape, plugin.preferredModes?.(info.kind, info.kernel.shape));
    const tensor = tensorize(info.kernel, target.layout);
    const dopts = { ...target.options, layout: target.layout };
    const ladder = plugin.decomposition.rankLadder?.(tensor, dopts) ?? measuredRankLadder(plugin.decomposition, tensor, dopts);
    const norm2 = squaredNorm(tensor);
    const row = rows.get(info.name)!;
    const bias = info.bias ? info.bias.data.length : 0;
    const choices: BudgetChoice[] = ladder.map((s) => {
      const c = plugin.layers?.costAt?.(info, target, s.ranks) ?? {
        params: plugin.decomposition.paramCount(tensor.shape, s.ranks, dopts) + bias,
        flops: row.flops,
      };
      return { ranks: [...s.ranks], params: c.params, flops: c.flops, err2: norm2 > 0 ? s.err2 / norm2 : 0 };
    });
    candidates.push({ name: info.name, params: row.params, flops: row.flops, choices });
    meta.set(info.name, { entry, outModes: [...target.layout.outModes], inModes: [...target.layout.inModes], norm2 });
  }
  const alloc = allocateBudget(candidates, before, opts.target);
  const fractions = costFractions(alloc.after, before);
  if (!alloc.met) {
    const want = [
      opts.target.targetParams !== undefined ? `params ≤ ${opts.target.targetParams}` : '',
      opts.target.targetFlops !== undefined ? `MACs ≤ ${opts.target.targetFlops}` : '',
    ].filter(Boolean);
    fail(
      ErrorCodes.RANK,
      `the budget (${want.join(', ')} of the whole model) is out of reach: at the smallest ranks the model keeps ${fractions.params.toFixed(3)} of its parameters and ${fractions.flops.toFixed(3)} of its MACs`,
      'ask for a larger fraction; layers that cannot be factorized (see inspect) keep their size',
    );
  }
  const layers: Record<string, LayerPlan> = {};
  const reports: BudgetLayerReport[] = [];
  for (const c of candidates) {
    const ch = alloc.choices[c.name];
    if (!ch) continue;
    const m = meta.get(c.name)!;
    layers[c.name] = {
      format: m.entry.format,
      outModes: m.outModes,
      inModes: m.inModes,
      ranks: { ranks: [...ch.ranks] },
      ...(m.entry.options ? { options: { ...m.entry.options } } : {}),
    };
    reports.push({
      name: c.name,
      format: m.entry.format,
      ranks: ch.ranks,
      params: [c.params, ch.params],
      flops: [c.flops, ch.flops],
      relError: Math.sqrt(ch.err2),
    });
  }
  return { plan: { version: 1, layers }, before, after: alloc.after, fractions, target: opts.target, layers: reports };
}
