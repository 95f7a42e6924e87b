/**
 * The worker of the data-parallel engine (./engine.ts): one TF.js backend and one replica of the
 * model per worker thread. Each step it copies the broadcast weights into its replica, runs its
 * shard forward in training mode and backward (`tf.variableGrads`), and writes the gradients and
 * its updated non-trainable weights (batch-norm moving statistics) into its shared work buffer.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@tensorslim/backends';
import { packedLayout, typedView, type PackedLayout } from './layout.js';
import type { InitMessage, StepMessage, WorkerMessage, WorkerReply } from './protocol.js';
import { loadFunction } from './load.js';

type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** The replica and what a step needs. */
interface Replica {
  readonly init: InitMessage;
  readonly model: tfl.LayersModel;
  readonly loss: LossFn;
  readonly weights: PackedLayout;
  readonly trainableVars: tf.Variable[];
  work: SharedArrayBuffer | null;
}

let replica: Replica | null = null;

async function init(m: InitMessage): Promise<WorkerReply> {
  const sel = await selectBackend(m.backend, { threads: 1 });
  for (const p of m.preload) await import(p);
  const model = await tfl.models.modelFromJSON({ modelTopology: m.topology } as unknown as tfl.ModelAndWeightsConfig);
  const shapes = model.weights.map((w) => w.shape as number[]);
  const want = m.weightShapes.map((s) => s.join('×')).join(', ');
  if (shapes.map((s) => s.join('×')).join(', ') !== want) {
    throw new Error(`the replica built from the topology has weights [${shapes.map((s) => s.join('×')).join(', ')}], the model [${want}]`);
  }
  const loss = (await loadFunction(m.loss)) as LossFn;
  replica = {
    init: m,
    model,
    loss,
    weights: packedLayout(m.weightShapes),
    trainableVars: m.trainable.map((i) => model.weights[i]!.read() as tf.Variable),
    work: null,
  };
  return { type: 'ready', backend: sel.name };
}

function step(m: StepMessage): WorkerReply {
  const r = replica;
  if (!r) throw new Error('step before init');
  if (m.work) r.work = m.work;
  const work = r.work!;
  const { model, weights, init: cfg } = r;
  const t0 = performance.now();
  const L = m.layout;
  // the broadcast weights into the replica
  tf.tidy(() => {
    const all = new Float32Array(cfg.weights);
    model.weights.forEach((w, i) => {
      const o = weights.offsets[i]!;
      w.write(tf.tensor(all.subarray(o, o + weights.sizes[i]!), w.shape as number[], 'float32'));
    });
  });
  const xSize = m.xShape.reduce((a, b) => a * b, 1);
  const ySize = m.yShape.reduce((a, b) => a * b, 1);
  let lossValue = NaN;
  let correct: number | null = null;
  tf.tidy(() => {
    const x = tf.tensor(typedView(work, L.x, m.rows * xSize, m.xDtype), [m.rows, ...m.xShape], m.xDtype);
    const y = tf.tensor(typedView(work, L.y, m.rows * ySize, m.yDtype), [m.rows, ...m.yShape], m.yDtype);
    let pred: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const p = model.apply(x, { training: true }) as tf.Tensor;
      pred = tf.keep(p);
      return r.loss(y, p);
    }, r.trainableVars);
    lossValue = value.dataSync()[0]!;
    const p = pred as tf.Tensor | null;
    if (cfg.countCorrect && p && p.shape[p.shape.length - 1]! > 1) {
      correct = tf.sum(tf.cast(tf.equal(tf.argMax(p, -1), tf.argMax(y, -1)), 'float32')).dataSync()[0]!;
    }
    p?.dispose();
    const g = new Float32Array(work, L.grads);
    let o = 0;
    for (const v of r.trainableVars) {
      const d = grads[v.name]!.dataSync() as Float32Array;
      g.set(d, o);
      o += d.length;
    }
    const s = new Float32Array(work, L.state);
    o = 0;
    for (const i of cfg.nonTrainable) {
      const d = model.weights[i]!.read().dataSync() as Float32Array;
      s.set(d, o);
      o += d.length;
    }
  });
  return { type: 'done', loss: lossValue, correct, ms: performance.now() - t0 };
}

async function handle(m: WorkerMessage): Promise<WorkerReply | null> {
  switch (m.type) {
    case 'init':
      return init(m);
    case 'step':
      return step(m);
    case 'stop':
      replica?.model.dispose();
      replica = null;
      parentPort!.close();
      return null;
  }
}

parentPort!.on('message', (m: WorkerMessage) => {
  handle(m).then(
    (reply) => {
      if (reply) parentPort!.postMessage(reply);
    },
    (e: unknown) =>
      parentPort!.postMessage({ type: 'error', message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) } satisfies WorkerReply),
  );
});
