/**
 * Collaborative compression (Li et al., "Towards Compact CNNs via Collaborative Compression",
 * CVPR 2021): channel pruning and low-rank decomposition together. Two parts:
 *
 * - {@link collaborativeProjector}: the projection onto {W : `options.pruned` filters are zero} ∩
 *   {W : low rank}, by core's `composeProjectors` (filter mask, then the low-rank projector
 *   resolved by id, e.g. Tucker-2). The low-rank projection of a filter-pruned kernel keeps the
 *   pruned filters zero (the output factor spans the kernel's output-mode unfolding, whose pruned
 *   rows are zero), so one sweep lands in both sets.
 * - {@link allocateCollaborative}: the plan optimizer. Each layer has a ladder of pruning fractions
 *   and of rank fractions; from no compression, a multi-step greedy heuristic takes, at each step,
 *   the one move (one more rung of pruning, or of rank, in one layer) with the least loss increase
 *   per multiply-add saved (the layers' sensitivities, measured one layer at a time), until the
 *   whole model's multiply-adds are within the budget. Pruning a layer's filters also shrinks the
 *   input of the layer that reads them, which the count includes.
 *
 * @module
 */
import { ErrorCodes, fail, type DenseTensor } from '@tensorslim/linalg';
import { composeProjectors, type ComposedProjector, type LayerTarget, type Projector } from '@tensorslim/core';
import { magnitudeProject } from './sparsity.js';

/** Filters a plan entry prunes: `options.pruned` (an integer, 0 ≤ pruned < Cout). */
export function prunedFiltersOf(target: Pick<LayerTarget, 'name' | 'options'>, cout: number): number {
  const k = target.options['pruned'] ?? 0;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= cout) {
    fail(ErrorCodes.OPTION, `layer "${target.name}": options.pruned ${String(k)} must be an integer with 0 ≤ pruned < ${cout} (the filters)`);
  }
  return k;
}

/** The projector zeroing the `options.pruned` filters of smallest norm (id `prune-filters`). */
export const prunedFiltersProjector: Projector = {
  id: 'prune-filters',
  project(weight: DenseTensor, target: LayerTarget): DenseTensor {
    const cout = weight.shape[weight.shape.length - 1]!;
    return magnitudeProject(weight, prunedFiltersOf(target, cout) / cout, 'filter');
  },
};

/**
 * The collaborative projector: filter pruning (`options.pruned` filters) then `lowRank` (which
 * reads the plan entry's ranks), composed by core's `composeProjectors` with one sweep.
 */
export function collaborativeProjector(lowRank: Projector, id = 'collaborative'): ComposedProjector {
  return composeProjectors(id, [prunedFiltersProjector, lowRank], { sweeps: 1 });
}

/** One weight layer as the plan optimizer sees it (multiply-adds are per example). */
export interface CollabLayer {
  /** Layer name. */
  readonly name: string;
  /** Kernel height × width (1 for a dense layer). */
  readonly k2: number;
  /** Input channels. */
  readonly cin: number;
  /** Output channels. */
  readonly cout: number;
  /** Input positions (1×1 input maps of a Tucker-2 layer run here). */
  readonly inPixels: number;
  /** Output positions. */
  readonly outPixels: number;
  /** The layer whose pruned filters are this layer's input channels, if any. */
  readonly readsFrom?: string;
  /** Whether its filters can be pruned (see `prunablePairs`); planned layers only. */
  readonly prunable: boolean;
  /** Whether it is in the plan (may be pruned and decomposed). */
  readonly planned: boolean;
}

/** A layer's setting: the fraction of filters pruned and the rank fraction (1: not decomposed). */
export interface CollabChoice {
  /** Fraction of filters removed. */
  readonly prune: number;
  /** Ranks as a fraction of the (pruned) channels; 1 = dense. */
  readonly rank: number;
}

/** Options of {@link allocateCollaborative}. */
export interface AllocateOptions {
  /** The budget: a fraction of the dense model's multiply-adds, 0 < F ≤ 1. */
  readonly targetFlops: number;
  /** Pruning rungs (default [0, 0.25, 0.5, 0.75]); [0] disables pruning. */
  readonly pruneLadder?: readonly number[];
  /** Rank rungs (default [1, 0.5, 0.25, 0.125]); [1] disables decomposition. */
  readonly rankLadder?: readonly number[];
  /** Loss of the model with one layer at a setting and the others dense (the sensitivity); may be async (a backend read). */
  readonly loss: (layer: string, choice: CollabChoice) => number | Promise<number>;
}

/** The optimizer's answer. */
export interface Allocation {
  /** Settings of the planned layers. */
  readonly choices: Readonly<Record<string, CollabChoice>>;
  /** Filters kept, and Tucker-2 ranks [r_out, r_in] (absent when not decomposed), per planned layer. */
  readonly layers: Readonly<Record<string, { kept: number; pruned: number; ranks?: [number, number] }>>;
  /** Estimated multiply-adds of the compressed model and of the dense one. */
  readonly flops: number;
  /** Dense multiply-adds. */
  readonly denseFlops: number;
  /** Moves taken, in order ("conv2 prune 0.25", ...). */
  readonly steps: readonly string[];
}

/** Kept filters, kept inputs and ranks of each layer under `choices`. */
function shapesUnder(layers: readonly CollabLayer[], choices: Readonly<Record<string, CollabChoice>>) {
  const kept = new Map<string, number>();
  for (const l of layers) kept.set(l.name, l.cout - Math.round((choices[l.name]?.prune ?? 0) * l.cout));
  return layers.map((l) => {
    const cout = kept.get(l.name)!;
    const cin = l.readsFrom && kept.has(l.readsFrom) ? (kept.get(l.readsFrom)! * l.cin) / layers.find((x) => x.name === l.readsFrom)!.cout : l.cin;
    const q = choices[l.name]?.rank ?? 1;
    const ranks: [number, number] | undefined = q < 1 ? [Math.max(1, Math.ceil(q * cout)), Math.max(1, Math.ceil(q * cin))] : undefined;
    return { l, cout, cin, ranks };
  });
}

/** Multiply-adds of one layer at these shapes: dense, or Tucker-2 (1×1 in, k×k core, 1×1 out), whichever is fewer. */
function layerMacs(l: CollabLayer, cin: number, cout: number, ranks?: [number, number]): number {
  const dense = l.outPixels * l.k2 * cin * cout;
  if (!ranks) return dense;
  const [ro, ri] = ranks;
  return Math.min(dense, l.inPixels * cin * ri + l.outPixels * l.k2 * ri * ro + l.outPixels * ro * cout);
}

/** Estimated multiply-adds of the model under `choices`. */
export function collaborativeFlops(layers: readonly CollabLayer[], choices: Readonly<Record<string, CollabChoice>>): number {
  return shapesUnder(layers, choices).reduce((a, s) => a + layerMacs(s.l, s.cin, s.cout, s.ranks), 0);
}

/**
 * Allocates per-layer (pruned filters, ranks) under a whole-model multiply-add budget by the
 * greedy multi-step heuristic of the module comment. `TS_OPTION` when the ladders cannot reach
 * the budget.
 */
export async function allocateCollaborative(layers: readonly CollabLayer[], o: AllocateOptions): Promise<Allocation> {
  if (!(o.targetFlops > 0 && o.targetFlops <= 1)) fail(ErrorCodes.OPTION, `target FLOPs ${o.targetFlops} must be a fraction with 0 < F ≤ 1`);
  const P = o.pruneLadder ?? [0, 0.25, 0.5, 0.75];
  const Q = o.rankLadder ?? [1, 0.5, 0.25, 0.125];
  const planned = layers.filter((l) => l.planned);
  const at: Record<string, [number, number]> = Object.fromEntries(planned.map((l) => [l.name, [0, 0]]));
  const choiceOf = (i: [number, number]): CollabChoice => ({ prune: P[i[0]]!, rank: Q[i[1]]! });
  const choices = () => Object.fromEntries(planned.map((l) => [l.name, choiceOf(at[l.name]!)]));
  const cache = new Map<string, number>();
  const lossAt = async (name: string, i: [number, number]) => {
    const key = `${name}:${i.join(',')}`;
    if (!cache.has(key)) cache.set(key, await o.loss(name, choiceOf(i)));
    return cache.get(key)!;
  };
  const dense = collaborativeFlops(layers, {});
  const budget = o.targetFlops * dense;
  const steps: string[] = [];
  let flops = dense;
  while (flops > budget) {
    let best: { name: string; next: [number, number]; score: number; flops: number } | null = null;
    for (const l of planned) {
      const cur = at[l.name]!;
      const moves: [number, number][] = [];
      if (l.prunable && cur[0] + 1 < P.length) moves.push([cur[0] + 1, cur[1]]);
      if (cur[1] + 1 < Q.length) moves.push([cur[0], cur[1] + 1]);
      for (const next of moves) {
        const f = collaborativeFlops(layers, { ...choices(), [l.name]: choiceOf(next) });
        const saved = flops - f;
        if (saved <= 0) continue;
        const score = Math.max((await lossAt(l.name, next)) - (await lossAt(l.name, cur)), 0) / saved;
        if (!best || score < best.score) best = { name: l.name, next, score, flops: f };
      }
    }
    if (!best) {
      fail(
        ErrorCodes.OPTION,
        `target FLOPs ${o.targetFlops} cannot be reached: the most the ladders allow is ${(flops / dense).toFixed(3)} of the dense model`,
        'raise --target-flops',
      );
    }
    const prev = at[best.name]!;
    steps.push(`${best.name} ${best.next[0] !== prev[0] ? `prune ${P[best.next[0]]}` : `rank ${Q[best.next[1]]}`}`);
    at[best.name] = best.next;
    flops = best.flops;
  }
  const final = choices();
  const out: Record<string, { kept: number; pruned: number; ranks?: [number, number] }> = {};
  for (const s of shapesUnder(layers, final)) {
    if (!s.l.planned) continue;
    out[s.l.name] = { kept: s.cout, pruned: s.l.cout - s.cout, ...(s.ranks ? { ranks: s.ranks } : {}) };
  }
  return { choices: final, layers: out, flops, denseFlops: dense, steps };
}
