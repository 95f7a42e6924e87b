/**
 * Loading and saving TF.js LayersModels as `model.json` + weight shards on disk, without
 * tfjs-node: a small file IO handler. Reads the layout of the Keras converter (several groups,
 * each split into shards such as `group1-shard1of2.bin`) as well as tensorslim's own
 * (`model.json` + one `weights-<hash>.bin`).
 *
 * Node's `fs` and `path` are imported on first use, not when the module loads.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { defaultRegistry, isRegisteredClass, listPlugins, topologyLayers, type JsonObject, type PluginRegistry } from '@tensorslim/core';
import { ErrorCodes, fail, isTensorslimError } from '@tensorslim/linalg';
import { writeFileAtomic } from './atomic.js';
import { groupByteLength, parseManifest, type ManifestEntry } from './manifest.js';

type Json = JsonObject;

/** The name of the topology file. */
export const MODEL_FILE = 'model.json';

/** What tensorslim adds to a model.json it writes (a top-level "tensorslim" key, ignored by TF.js). */
export interface ModelJsonExtras {
  /** Metadata version (1). */
  readonly version: 1;
  /** Non-TF.js layer classes of the model and the format plugin that defines each. */
  readonly layerClasses: Readonly<Record<string, { readonly format?: string }>>;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Registry searched for plugins defining unknown layer classes (default: the process-wide one). */
  readonly container?: PluginRegistry;
  /** Fail when a weight of the file has no variable in the model or the reverse (default true). */
  readonly strict?: boolean;
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Registry used to record which plugin defines each factorized layer class. */
  readonly container?: PluginRegistry;
}

/** The artifacts read from disk by {@link readModelArtifacts}, ready for `tf.loadLayersModel`. */
export interface LoadedArtifacts {
  /** The parsed model.json. */
  readonly json: JsonObject;
  /** TF.js model artifacts (topology, weight specs, the concatenated weight data). */
  readonly artifacts: tf.io.ModelArtifacts;
  /** Absolute path of the model.json read. */
  readonly path: string;
}

async function nodeFs() {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, path };
}

/** Resolves `model.json` or its directory to the model.json path; `TS_MODEL` if there is none. */
export async function resolveModelJsonPath(location: string): Promise<string> {
  const { fs, path } = await nodeFs();
  const abs = path.resolve(location);
  const st = await fs.stat(abs).catch(() => null);
  if (!st) fail(ErrorCodes.MODEL, `no model at ${location}: the path does not exist`, `pass a model.json file or the directory holding it`);
  if (st.isDirectory()) {
    const p = path.join(abs, MODEL_FILE);
    if (!(await fs.stat(p).catch(() => null)))
      fail(ErrorCodes.MODEL, `no ${MODEL_FILE} in ${location}`, 'pass the directory a model was saved to, or the model.json file itself');
    return p;
  }
  return abs;
}

/**
 * Reads model.json and every weight shard its manifest names, concatenating each group's shards
 * in order. Errors (`TS_MODEL`): no model.json, invalid JSON, a graph model, a manifest that
 * `parseManifest` refuses (a shard path that is absolute or has a `..` segment, a bad shape or
 * dtype), a shard that is a symbolic link out of the model's directory, missing shards (all
 * named), a group whose shards hold fewer or more bytes than its entries need (expected vs actual).
 */
export async function readModelArtifacts(location: string): Promise<LoadedArtifacts> {
  const { fs, path } = await nodeFs();
  const file = await resolveModelJsonPath(location);
  const dir = path.dirname(file);
  let json: Json;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as Json;
  } catch (e) {
    fail(ErrorCodes.MODEL, `${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || typeof json.modelTopology !== 'object') {
    const graph = json && (json.format === 'graph-model' || 'modelTopology' in json === false);
    fail(
      ErrorCodes.MODEL,
      `${file} has no layers-model topology`,
      graph ? 'this looks like a TF.js graph model (converted SavedModel); tensorslim reads layers models (tf.LayersModel, Keras converter output)' : undefined,
    );
  }
  const groups = parseManifest(json.weightsManifest, file);
  const realDir = await fs.realpath(dir);
  const missing: string[] = [];
  const buffers: Uint8Array[] = [];
  const specs: ManifestEntry[] = [];
  for (const [gi, g] of groups.entries()) {
    const parts: Uint8Array[] = [];
    for (const p of g.paths) {
      const real = await fs.realpath(path.resolve(dir, p)).catch(() => null);
      const rel = real === null ? '' : path.relative(realDir, real);
      if (real !== null && (rel.split(path.sep)[0] === '..' || path.isAbsolute(rel))) {
        fail(
          ErrorCodes.MODEL,
          `${file}: weight shard "${p}" is a symbolic link to ${real}, outside the model's directory`,
          'copy the shard into the directory of model.json; tensorslim reads no weights from elsewhere',
          { path: p },
        );
      }
      const bytes = real === null ? null : await fs.readFile(real).catch(() => null);
      if (!bytes) missing.push(p);
      else parts.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    if (missing.length) continue;
    const actual = parts.reduce((a, b) => a + b.byteLength, 0);
    const expected = groupByteLength(g);
    if (actual !== expected) {
      const last = g.paths[g.paths.length - 1]!;
      fail(
        ErrorCodes.MODEL,
        `weight group ${gi + 1} of ${file} (${g.paths.join(', ')}) holds ${actual} bytes, its ${g.weights.length} weights need ${expected}` +
          (actual < expected
            ? ` — ${expected - actual} bytes short; ${g.paths.length > 1 ? `the last shard ${last} is probably truncated` : `${last} is truncated`}`
            : ` — ${actual - expected} bytes too many`),
        're-export or re-copy the model; shards must be complete',
        { group: gi + 1, expected, actual, paths: g.paths },
      );
    }
    buffers.push(...parts);
    specs.push(...g.weights);
  }
  if (missing.length) {
    fail(
      ErrorCodes.MODEL,
      `weight shard${missing.length > 1 ? 's' : ''} missing next to ${file}: ${missing.join(', ')}`,
      'copy every file the weightsManifest names into the model directory',
      { missing },
    );
  }
  const total = buffers.reduce((a, b) => a + b.byteLength, 0);
  const data = new Uint8Array(total);
  let off = 0;
  for (const b of buffers) {
    data.set(b, off);
    off += b.byteLength;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as Json,
    format: json.format as string | undefined,
    generatedBy: json.generatedBy as string | undefined,
    convertedBy: json.convertedBy as string | null | undefined,
    weightSpecs: specs as unknown as tf.io.WeightsManifestEntry[],
    weightData: data.buffer,
    ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata as Record<string, object> } : {}),
    ...(json.trainingConfig ? { trainingConfig: json.trainingConfig as tf.io.TrainingConfig } : {}),
  };
  return { json, artifacts, path: file };
}

/** Every layer class a topology uses (nested models, wrappers and RNN cells included). */
export function topologyClassNames(topology: JsonObject): string[] {
  const out = new Set<string>();
  const visit = (entry: { class_name?: unknown; config?: unknown }) => {
    if (!entry || typeof entry.class_name !== 'string') return;
    out.add(entry.class_name);
    const cfg = entry.config as Json | undefined;
    if (!cfg || typeof cfg !== 'object') return;
    if (Array.isArray(cfg.layers) || Array.isArray(entry.config)) for (const l of topologyLayers(entry as Json)) visit(l);
    for (const k of ['layer', 'cell']) {
      const inner = cfg[k];
      if (Array.isArray(inner)) inner.forEach((c) => visit(c as Json));
      else if (inner && typeof inner === 'object') visit(inner as Json);
    }
  };
  const t = (topology.model_config ?? topology) as Json;
  visit(t as { class_name?: unknown; config?: unknown });
  return [...out];
}

/**
 * Makes sure TF.js can deserialize every layer class of a topology: a class a registered plugin
 * defines is registered on the spot; anything else is a `TS_MODEL` error saying which package
 * to import.
 */
export function ensureLayerClasses(json: JsonObject, source: string, container: PluginRegistry = defaultRegistry): void {
  const names = topologyClassNames(json.modelTopology as Json).filter((c) => !isRegisteredClass(c));
  if (!names.length) return;
  const plugins = listPlugins(container);
  for (const p of plugins) if (p.layers && p.layers.classNames.some((c) => names.includes(c))) p.layers.register();
  const still = names.filter((c) => !isRegisteredClass(c));
  if (!still.length) return;
  const extras = (json.tensorslim as ModelJsonExtras | undefined)?.layerClasses ?? {};
  const hints = still.map((c) => {
    const fmt = extras[c]?.format;
    return fmt
      ? `${c} is a factorized layer of format "${fmt}": import its plugin package first (e.g. @tensorslim/decomp-${fmt}), which registers its layers at import`
      : `${c}: import the package that defines and registers it before loading (a tensorslim format plugin such as @tensorslim/decomp-tt for factorized layers, @tensorslim/models for its architectures' layers)`;
  });
  fail(ErrorCodes.MODEL, `${source} uses layer class${still.length > 1 ? 'es' : ''} that TF.js does not know: ${still.join(', ')}`, hints.join('; '), {
    classes: still,
  });
}

/**
 * Loads a LayersModel from `model.json` (or the directory holding it) and its weight shards,
 * without tfjs-node. Weights are decoded per the manifest (float32, int32, bool; quantized
 * uint8/uint16/float16). Errors are `TS_MODEL` and say what to do: missing model.json, a
 * missing shard (named), a short shard (expected vs actual bytes), an unknown layer class (which
 * package to import), weights that do not match the topology.
 */
export async function loadModel(location: string, opts: LoadModelOptions = {}): Promise<tfl.LayersModel> {
  const { json, artifacts, path } = await readModelArtifacts(location);
  ensureLayerClasses(json, path, opts.container);
  try {
    return await tfl.loadLayersModel({ load: async () => artifacts }, { strict: opts.strict ?? true });
  } catch (e) {
    if (isTensorslimError(e)) throw e;
    fail(ErrorCodes.MODEL, `cannot build the model of ${path}: ${(e as Error).message}`, 'the topology and the weights manifest must describe the same layers');
  }
}

function concat(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out;
}

/** The weights file of a save: named for its content, so saves of different weights never share a name. */
const WEIGHTS_NAME = /^weights-[0-9a-f]{16}\.bin$/;

async function weightsFileName(weights: Uint8Array): Promise<string> {
  const { createHash } = await import('node:crypto');
  return `weights-${createHash('sha256').update(weights).digest('hex').slice(0, 16)}.bin`;
}

/** The files of `dir` that its model.json names, when tensorslim wrote it (else none: they are not ours to remove). */
async function previousShards(dir: string): Promise<string[]> {
  const { fs, path } = await nodeFs();
  try {
    const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_FILE), 'utf8')) as Json;
    if (json.convertedBy !== 'tensorslim') return [];
    return parseManifest(json.weightsManifest)
      .flatMap((g) => g.paths)
      .map((p) => p.replace(/^\.\//, ''))
      .filter((p) => !/[\\/]/.test(p));
  } catch {
    return []; // no model.json, or one we cannot read: nothing of a previous save to clean up
  }
}

/**
 * Saves a LayersModel to `dir` as `model.json` + `weights-<hash>.bin` (TF.js layers format,
 * loadable by `tf.loadLayersModel` and {@link loadModel}); `<hash>` is the first 16 hex digits of
 * the weights' SHA-256. Records which plugin defines each factorized layer class, so that loading
 * without it can say what to import.
 *
 * Crash safety: model.json never names weights from another save. The weights are written first
 * under their content-derived name, model.json last, each with {@link writeFileAtomic} (temporary
 * file, fsync, rename, fsync of the directory). Until model.json's rename, the previous
 * model.json still names the previous save's weights file, which is still there; after it, the new
 * one names the new file. Only then are the files of earlier saves removed: those the previous
 * model.json named (if tensorslim wrote it) and `weights-<hash>.bin` files left by an interrupted
 * save. Other files in `dir` are not touched. A save that fails (rather than crashes) removes
 * the weights file it wrote, and loses nothing already in `dir`.
 */
export async function saveModel(model: tfl.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<tf.io.ModelArtifactsInfo> {
  const { fs, path } = await nodeFs();
  const container = opts.container ?? defaultRegistry;
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    fail(ErrorCodes.MODEL, `cannot create ${dir}: ${(e as Error).message}`);
  }
  const layerClasses: Record<string, { format?: string }> = {};
  const plugins = listPlugins(container);
  for (const l of model.layers) {
    const c = l.getClassName();
    const owner = plugins.find((p) => p.layers?.classNames.includes(c));
    if (owner) layerClasses[c] = { format: owner.id };
  }
  let info: tf.io.ModelArtifactsInfo | undefined;
  const handler: tf.io.IOHandler = {
    save: async (a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
      const weights = concat(a.weightData);
      const weightsFile = await weightsFileName(weights);
      const json = {
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: 'tensorslim',
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [`./${weightsFile}`], weights: a.weightSpecs ?? [] }],
        ...(a.userDefinedMetadata ? { userDefinedMetadata: a.userDefinedMetadata } : {}),
        ...(a.trainingConfig ? { trainingConfig: a.trainingConfig } : {}),
        tensorslim: { version: 1, layerClasses } satisfies ModelJsonExtras,
      };
      const stale = await previousShards(dir);
      await writeFileAtomic(path.join(dir, weightsFile), weights);
      try {
        await writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json));
      } catch (e) {
        if (!stale.includes(weightsFile)) await fs.rm(path.join(dir, weightsFile), { force: true });
        throw e;
      }
      // best effort: a file left behind here is removed by the next save
      const leftovers = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => WEIGHTS_NAME.test(f));
      for (const f of new Set([...stale, ...leftovers])) if (f !== weightsFile) await fs.rm(path.join(dir, f), { force: true }).catch(() => undefined);
      info = {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: Buffer.byteLength(JSON.stringify(a.modelTopology)),
        weightSpecsBytes: Buffer.byteLength(JSON.stringify(a.weightSpecs ?? [])),
        weightDataBytes: weights.byteLength,
      };
      return { modelArtifactsInfo: info };
    },
  };
  try {
    await model.save(handler);
  } catch (e) {
    if (isTensorslimError(e)) throw e;
    fail(ErrorCodes.MODEL, `cannot save ${model.name} to ${dir}: ${(e as Error).message}`, 'nothing already in the directory was changed');
  }
  return info!;
}
