/**
 * Channel surgery: removing channels physically. A channel produced by a Conv2D or Dense layer
 * (the *producer*) and read by exactly one Conv2D or Dense layer (the *consumer*) through a chain
 * of channel-wise layers (BatchNormalization, Activation, pooling, Dropout, Flatten, global
 * pooling) can be removed: the producer gets fewer filters/units, every BatchNormalization on the
 * way loses that channel's γ, β and statistics, and the consumer loses its input channel (the
 * rows of every flattened position of it, after a Flatten). The model is rebuilt with the smaller
 * layers; its parameters, FLOPs and saved size shrink.
 *
 * Where shapes do not allow it the channel stays: a channel that reaches an `Add` (the residual
 * sums of ResNet: the stem, each block's second conv and its shortcut), a `Concatenate`, two
 * consumers, or the model's output cannot be removed without changing the other operand, so only
 * the first conv of each residual block (and every conv/dense of a plain chain such as LeNet-5)
 * is prunable. {@link prunablePairs} says which and why not.
 *
 * A channel is removed when it is zero on either side, which keeps the function exactly:
 * - its filter is zero at the producer (kernel column, bias, and γ and β of every
 *   BatchNormalization on the way), and every activation on the way maps 0 to 0 (relu, linear,
 *   tanh, ...): the channel is 0 everywhere; or
 * - the consumer's weights reading it are all zero: nothing reads it.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import { topologyLayers, type JsonObject } from '@tensorslim/core';

/** Layers a channel passes through unchanged in number (channel-wise or spatial only). */
const PASS_THROUGH = new Set([
  'BatchNormalization',
  'Activation',
  'ReLU',
  'MaxPooling2D',
  'AveragePooling2D',
  'Dropout',
  'Flatten',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
]);

/** Activations with f(0) = 0: a zero channel stays zero through them. */
const ZERO_PRESERVING = new Set(['linear', 'relu', 'relu6', 'tanh', 'elu', 'selu', 'softsign', 'swish', 'mish', 'leakyReLU']);

/** A producer → consumer pair whose shared channels can be removed. */
export interface PrunablePair {
  /** The Conv2D/Dense layer whose filters (output channels) are removed. */
  readonly producer: string;
  /** The Conv2D/Dense layer whose input channels are removed with them. */
  readonly consumer: string;
  /** The channel-wise layers between them, in order. */
  readonly via: readonly string[];
  /** Channels of the pair (the producer's filters). */
  readonly channels: number;
  /** Consumer input rows per channel: the flattened spatial positions after a Flatten, else 1. */
  readonly positions: number;
}

/** A Conv2D/Dense layer whose filters cannot be removed, and why. */
export interface NotPrunable {
  /** Layer name. */
  readonly layer: string;
  /** Why (e.g. `feeds Add "stage1_block1_add"`). */
  readonly reason: string;
}

const isWeighted = (l: tfl.layers.Layer) => ['Conv2D', 'Dense'].includes(l.getClassName());

function consumersOf(l: tfl.layers.Layer): tfl.layers.Layer[] {
  const nodes = (l as unknown as { outboundNodes: { outboundLayer: tfl.layers.Layer }[] }).outboundNodes;
  return nodes.map((n) => n.outboundLayer);
}

function activationOf(l: tfl.layers.Layer): string {
  const a = (l.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : 'linear';
}

/**
 * The producer → consumer pairs of a model whose channels can be removed, and the Conv2D/Dense
 * layers that cannot be pruned with the reason.
 */
export function prunablePairs(model: tfl.LayersModel): { pairs: PrunablePair[]; notPrunable: NotPrunable[] } {
  const pairs: PrunablePair[] = [];
  const notPrunable: NotPrunable[] = [];
  const outputs = new Set(model.outputLayers.map((l) => l.name));
  for (const p of model.layers.filter(isWeighted)) {
    const via: string[] = [];
    let cur = p;
    let reason: string | null = null;
    let consumer: tfl.layers.Layer | null = null;
    for (;;) {
      const outs = consumersOf(cur);
      if (outputs.has(cur.name) || outs.length === 0) {
        reason = `${cur === p ? 'is' : `reaches ${cur.name}, which is`} a model output`;
        break;
      }
      if (outs.length !== 1) {
        reason = `${cur.name}'s output is read by ${outs.length} layers`;
        break;
      }
      const next = outs[0]!;
      const cls = next.getClassName();
      if (isWeighted(next)) {
        consumer = next;
        break;
      }
      if (!PASS_THROUGH.has(cls)) {
        reason = `feeds ${cls} "${next.name}"`;
        break;
      }
      via.push(next.name);
      cur = next;
    }
    if (!consumer) {
      notPrunable.push({ layer: p.name, reason: reason! });
      continue;
    }
    const out = p.outputShape as number[];
    const channels = out[out.length - 1]!;
    const flat = via.map((n) => model.getLayer(n).getClassName()).includes('Flatten');
    const inRows = (consumer.getWeights()[0]!.shape as number[]).at(-2)!;
    const positions = flat ? inRows / channels : 1;
    if (!Number.isInteger(positions) || (!flat && inRows !== channels)) {
      notPrunable.push({ layer: p.name, reason: `its ${channels} channels do not map onto ${consumer.name}'s ${inRows} inputs` });
      continue;
    }
    pairs.push({ producer: p.name, consumer: consumer.name, via, channels, positions });
  }
  return { pairs, notPrunable };
}

/** Whether every value of `t` at index `c` of axis `axis` (negative: from the end) is zero. */
function sliceIsZero(t: { shape: number[]; data: ArrayLike<number> }, axis: number, test: (index: number) => boolean): boolean {
  const ax = axis < 0 ? t.shape.length + axis : axis;
  const inner = t.shape.slice(ax + 1).reduce((a, b) => a * b, 1);
  const size = t.shape[ax]!;
  for (let i = 0; i < t.data.length; i++) if (test(Math.floor(i / inner) % size) && t.data[i] !== 0) return false;
  return true;
}

/** A layer's weights as values (read without blocking: the webgpu backend cannot read synchronously in Node). */
async function weightsOf(l: tfl.layers.Layer): Promise<{ shape: number[]; data: Float32Array }[]> {
  return Promise.all(l.getWeights().map(async (w) => ({ shape: w.shape as number[], data: (await w.data()) as Float32Array })));
}

/**
 * The channels of a pair that are zero on either side (see the module comment): zero filters at
 * the producer (with γ = β = 0 in every BatchNormalization and activations that keep 0), or zero
 * input weights at the consumer.
 */
export async function zeroChannels(model: tfl.LayersModel, pair: PrunablePair): Promise<number[]> {
  const p = model.getLayer(pair.producer);
  const [kernel, bias] = await weightsOf(p);
  const viaLayers = pair.via.map((n) => model.getLayer(n));
  const keepsZero = [p, ...viaLayers].every((l) => !['Conv2D', 'Dense', 'Activation'].includes(l.getClassName()) || ZERO_PRESERVING.has(activationOf(l)));
  const bnAffine = await Promise.all(
    viaLayers
      .filter((l) => l.getClassName() === 'BatchNormalization')
      .flatMap((l) => l.trainableWeights.map(async (w) => ({ shape: w.shape as number[], data: await w.read().data() }))),
  );
  const ck = (await weightsOf(model.getLayer(pair.consumer)))[0]!;
  const out: number[] = [];
  for (let c = 0; c < pair.channels; c++) {
    const filterZero = keepsZero && sliceIsZero(kernel!, -1, (j) => j === c) && (!bias || bias.data[c] === 0) && bnAffine.every((w) => w.data[c] === 0);
    const readZero = sliceIsZero(ck, -2, (r) => r % pair.channels === c);
    if (filterZero || readZero) out.push(c);
  }
  return out;
}

/** What {@link removeChannels} did to one pair. */
export interface RemovedChannels {
  /** The pair. */
  readonly pair: PrunablePair;
  /** The channels removed (indices in the original model). */
  readonly removed: readonly number[];
  /** Channels left. */
  readonly kept: number;
}

/**
 * Rebuilds `model` without the given channels of each pair (`removals`: producer name → the
 * channel indices to remove; at least one channel stays). Every other layer and weight is carried
 * over unchanged. The result is a new model; `model` is left as it is. With no `removals`, the
 * zero channels ({@link zeroChannels}) of every prunable pair are removed.
 */
export async function removeChannels(
  model: tfl.LayersModel,
  removals?: Readonly<Record<string, readonly number[]>>,
): Promise<{ model: tfl.LayersModel; removed: RemovedChannels[] }> {
  const { pairs } = prunablePairs(model);
  const byProducer = new Map(pairs.map((p) => [p.producer, p]));
  const plan = removals ?? Object.fromEntries(await Promise.all(pairs.map(async (p) => [p.producer, await zeroChannels(model, p)] as const)));
  const keepOut = new Map<string, number[]>(); // layer → kept output channels (producers and the BN between)
  const keepIn = new Map<string, number[]>(); // consumer → kept input rows
  const removed: RemovedChannels[] = [];
  for (const [producer, drop] of Object.entries(plan)) {
    const pair = byProducer.get(producer);
    if (!pair) fail(ErrorCodes.PLAN, `the filters of "${producer}" cannot be removed`, `prunable layers: ${pairs.map((p) => p.producer).join(', ') || 'none'}`);
    const gone = new Set(drop);
    if ([...gone].some((c) => !Number.isInteger(c) || c < 0 || c >= pair.channels))
      fail(ErrorCodes.SHAPE, `"${producer}" has channels 0..${pair.channels - 1}, asked to remove [${drop.join(', ')}]`);
    let kept = Array.from({ length: pair.channels }, (_, c) => c).filter((c) => !gone.has(c));
    if (kept.length === 0) kept = [0]; // one channel always stays
    if (kept.length === pair.channels) continue;
    keepOut.set(producer, kept);
    for (const v of pair.via) keepOut.set(v, kept);
    const rows: number[] = [];
    for (let pos = 0; pos < pair.positions; pos++) for (const c of kept) rows.push(pos * pair.channels + c);
    keepIn.set(pair.consumer, rows);
    removed.push({ pair, removed: Array.from({ length: pair.channels }, (_, c) => c).filter((c) => !kept.includes(c)), kept: kept.length });
  }
  const topology = structuredClone(model.toJSON(null, false) as JsonObject);
  for (const e of topologyLayers(topology)) {
    const kept = keepOut.get((e.name ?? e.config.name) as string);
    if (!kept) continue;
    if (e.class_name === 'Conv2D') e.config.filters = kept.length;
    else if (e.class_name === 'Dense') e.config.units = kept.length;
  }
  const rebuilt = await tfl.models.modelFromJSON({ modelTopology: topology } as unknown as tfl.ModelAndWeightsConfig);
  for (const layer of rebuilt.layers) {
    const old = model.getLayer(layer.name);
    const ws = old.getWeights();
    if (ws.length === 0) continue;
    const out = keepOut.get(layer.name);
    const rows = keepIn.get(layer.name);
    const cls = layer.getClassName();
    const sliced = tf.tidy(() =>
      ws.map((w, i) => {
        let t: tf.Tensor = w;
        if (cls === 'BatchNormalization') return out ? tf.gather(t, out, 0) : t.clone();
        const isKernel = i === 0 && (cls === 'Conv2D' || cls === 'Dense');
        if (isKernel && rows) t = tf.gather(t, rows, t.rank - 2);
        if (out) t = tf.gather(t, out, isKernel ? t.rank - 1 : 0);
        return t === w ? t.clone() : t;
      }),
    );
    // fresh tensors from the values: the wasm backend mis-tracks variables assigned from gather outputs
    const fresh = await Promise.all(sliced.map(async (t) => tf.tensor(await t.data(), t.shape, 'float32')));
    tf.dispose(sliced);
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  return { model: rebuilt, removed };
}
