/**
 * Model surgery: rebuild a LayersModel through its JSON topology with chosen layers replaced,
 * every other layer and weight carried over unchanged.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { FactorizedLayerSpec } from '../contracts.js';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import './tfjs-compat.js';

/** A JSON object (a model.json, a Keras topology, a layer config). */
export type JsonObject = Record<string, unknown>;
type Json = JsonObject;

/** One layer entry of a Keras topology: `{class_name, config, (name, inbound_nodes)}`. */
export interface TopologyLayerEntry {
  /** The layer's class name. */
  class_name: string;
  /** Its config (pythonic keys: kernel_size, use_bias, ...). */
  config: JsonObject;
  /** The layer's name (functional models). */
  name?: string;
}

/** The layer entries of a Keras/TF.js topology (Sequential or functional, old or new layout). */
export function topologyLayers(topology: JsonObject): TopologyLayerEntry[] {
  const t = (topology.model_config ?? topology) as Json;
  const cfg = t.config as unknown;
  if (Array.isArray(cfg)) return cfg as TopologyLayerEntry[]; // Keras 1 style Sequential
  const layers = (cfg as Json | undefined)?.layers;
  if (!Array.isArray(layers)) fail(ErrorCodes.MODEL, 'the model topology has no layer list (config.layers)');
  return layers as TopologyLayerEntry[];
}

/** True when TF.js serialization knows `className` (a layer can be deserialized). */
export function isRegisteredClass(className: string): boolean {
  return className in tf.serialization.SerializationMap.getMap().classNameMap;
}

/**
 * Rebuilds `model` with the layers named in `specs` replaced by the given classes, configs and
 * weights. The model goes through its JSON topology (`model.toJSON`), so Sequential and
 * functional models (residual `Add` branches, concatenations, multiple inputs) work alike; every
 * other layer keeps its config and its weights bit for bit (BatchNormalization statistics
 * included). A replaced first layer of a Sequential model keeps its input shape. The result is
 * a new, uncompiled model; `model` is left as it was.
 */
export async function replaceLayers(model: tfl.LayersModel, specs: Readonly<Record<string, FactorizedLayerSpec>>): Promise<tfl.LayersModel> {
  const topology = structuredClone(model.toJSON(null, false) as Json);
  const entries = topologyLayers(topology);
  const seen = new Set<string>();
  for (const e of entries) {
    const name = (e.name ?? e.config.name) as string;
    const spec = specs[name];
    if (!spec) continue;
    seen.add(name);
    if (!isRegisteredClass(spec.className)) {
      fail(
        ErrorCodes.PLUGIN,
        `layer class ${spec.className} (for ${name}) is not registered with TF.js serialization`,
        'register the plugin (registerPlugin calls its layers.register()) before surgery',
      );
    }
    const old = e.config;
    const config: Json = { ...spec.config, name };
    if (old.batch_input_shape !== undefined && config.batchInputShape === undefined && config.inputShape === undefined) {
      config.batchInputShape = old.batch_input_shape;
    }
    if (config.trainable === undefined && old.trainable !== undefined) config.trainable = old.trainable;
    if (config.dtype === undefined && old.dtype !== undefined) config.dtype = old.dtype;
    e.class_name = spec.className;
    e.config = config;
  }
  const unknown = Object.keys(specs).filter((n) => !seen.has(n));
  if (unknown.length) {
    fail(ErrorCodes.PLAN, `cannot replace ${unknown.join(', ')}: no such layer in ${model.name}`, `layers: ${model.layers.map((l) => l.name).join(', ')}`);
  }
  const rebuilt = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tfl.ModelAndWeightsConfig);
  const oldByName = new Map(model.layers.map((l) => [l.name, l]));
  try {
    for (const layer of rebuilt.layers) {
      const spec = specs[layer.name];
      if (spec) {
        const want = layer.weights.map((w) => w.shape.join('x'));
        const got = spec.weights.map((w) => w.shape.join('x'));
        if (want.join(',') !== got.join(',')) {
          fail(
            ErrorCodes.SHAPE,
            `factorized layer ${layer.name} (${spec.className}) has weights [${want.join(', ')}], the spec gives [${got.join(', ')}]`,
            "the plugin's fromFactors must return weights in the order and shapes of the layer's getWeights()",
          );
        }
        const ts = spec.weights.map((w) => tf.tensor(Float32Array.from(w.data), [...w.shape], 'float32'));
        layer.setWeights(ts);
        tf.dispose(ts);
      } else {
        const old = oldByName.get(layer.name);
        if (old && old.weights.length) layer.setWeights(old.getWeights());
      }
    }
  } catch (e) {
    rebuilt.dispose();
    throw e;
  }
  return rebuilt;
}
