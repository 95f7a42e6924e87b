/**
 * What the pipeline needs from model surgery (`@tensorslim/surgery`) and model IO
 * (`@tensorslim/io`), as a small interface with their functions as the default: decompose the planned layers of a model into their formats'
 * factorized layers (every other layer and weight untouched), and save a model in the TF.js
 * format. Embedders (and tests) may replace either.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompressionPlan, PluginRegistry } from '@tensorslim/core';
import type { FactorizedLayerReport, FactorizeOptions, FactorizeResult } from '@tensorslim/surgery';
import { factorizeModel } from '@tensorslim/surgery';
import { saveModel } from '@tensorslim/io';

/** What decomposing one layer did (surgery's report: format, ranks, params/FLOPs before and after, error). */
export type LayerFactorization = FactorizedLayerReport;

/** Model surgery and IO, as the pipeline uses them. */
export interface ModelSurgery {
  /** Decomposes the planned layers and rebuilds the model with factorized layers (surgery's `factorizeModel`). */
  factorizeModel(model: tfl.LayersModel, plan: CompressionPlan, opts: FactorizeOptions): Promise<FactorizeResult> | FactorizeResult;
  /** Saves a model as model.json + weights in `dir` (io's `saveModel`). */
  saveModel(model: tfl.LayersModel, dir: string, opts?: { container?: PluginRegistry }): Promise<unknown> | unknown;
}

/** Core's surgery, with `overrides` replacing either function. */
export function resolveSurgery(overrides: Partial<ModelSurgery> = {}): ModelSurgery {
  return {
    factorizeModel: overrides.factorizeModel ?? factorizeModel,
    saveModel: overrides.saveModel ?? saveModel,
  };
}
