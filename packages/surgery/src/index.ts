/**
 * @tensorslim/surgery — whole-model surgery and budgets on top of core's single-layer pieces:
 * which layers of a TF.js LayersModel can be factorized, per-layer parameters and multiply-adds
 * ({@link modelSummary}, {@link layerFlops}), binding a plan to a model
 * ({@link resolvePlanTargets}), factorizing every planned layer and rebuilding the model
 * ({@link factorizeModel}), and plans that meet a whole-model budget ({@link budgetPlan},
 * {@link allocateBudget}). Nothing here names a format: plugins come from core's registry.
 *
 * @packageDocumentation
 */
export * from './flops.js';
export * from './summary.js';
export * from './targets.js';
export * from './factorize.js';
export * from './budget.js';
export * from './budget-plan.js';
