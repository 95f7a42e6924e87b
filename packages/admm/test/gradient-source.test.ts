/**
 * The training loop with and without an injected gradient stepper: without one it is the plain
 * single-thread loop (bit-equal to a hand-written momentum-SGD loop over the same batches); with an
 * in-process stepper it gives the very same weights, ADMM term included; the stepper is started
 * once per phase with the loss as data and disposed at the end; a non-finite loss from it stops
 * training without applying the step.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, isTensorslimError, registerProjector } from '@tensorslim/core';
import { admmTrain, makeLoss, trainDense, type GradientSource, type GradientStepper, type LossSpec } from '@tensorslim/admm';
import { classificationSource, mlp, topKProjector, weightsOf } from './helpers/fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A stepper that differentiates on the calling thread (what a 1-worker engine does), counting its calls. */
function inProcessStepper(log: { started: LossSpec[]; disposed: number; steps: number }, lossOverride?: number): GradientStepper {
  return {
    threads: 1,
    start: async (model: tfl.LayersModel, spec: LossSpec): Promise<GradientSource> => {
      log.started.push(spec);
      const loss = makeLoss(spec.kind, spec.output, spec.labelSmoothing);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      return {
        gradients: async (xs, ys) => {
          log.steps++;
          let value = NaN;
          const grads = tf.tidy(() => {
            const r = tf.variableGrads(() => loss(ys, model.apply(xs, { training: true }) as tf.Tensor), vars);
            value = r.value.dataSync()[0]!;
            return r.grads;
          });
          return { loss: lossOverride ?? value, correct: null, grads };
        },
        dispose: async () => void log.disposed++,
      };
    },
  };
}

describe('the training loop without a stepper', () => {
  it('is bit-equal to a hand-written momentum-SGD loop with weight decay over the same batches', async () => {
    const data = classificationSource(6, 3, 96, 32, 7);
    const o = { epochs: 2, lr: 0.05, momentum: 0.9, batchSize: 32, weightDecay: 1e-3, seed: 3 };
    const a = mlp(6, [8, 3], { softmax: true, seed: 11 });
    await trainDense(a, data, o);
    // the reference: today's step, written out
    const b = mlp(6, [8, 3], { softmax: true, seed: 11 });
    const loss = makeLoss('crossentropy', 'probabilities', 0);
    const vars = b.trainableWeights.map((w) => w.read() as tf.Variable);
    const opt: tf.Optimizer = tf.train.momentum(o.lr, o.momentum);
    const wd = tf.scalar(o.weightDecay);
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (const batch of data.trainBatches(o.batchSize, { epoch, seed: o.seed, startStep: 0 })) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => loss(batch.ys, b.apply(batch.xs, { training: true }) as tf.Tensor), vars);
          const g: tf.NamedTensorMap = {};
          for (const v of vars) g[v.name] = tf.add(grads[v.name]!, tf.mul(v, wd));
          opt.applyGradients(g);
        });
        tf.dispose([batch.xs, batch.ys]);
      }
    }
    wd.dispose();
    opt.dispose();
    expect(weightsOf(a)).toEqual(weightsOf(b));
  });
});

describe('the training loop with a stepper', () => {
  const plan = { version: 1, layers: { fc1: { format: 'topk', ranks: { maxRank: 1 }, options: { k: 40 } } } };
  const registry = () => {
    const c = createRegistry();
    registerProjector(topKProjector, c);
    return c;
  };
  const data = classificationSource(8, 3, 96, 32, 5);
  const opts = { epochs: 2, lr: 0.05, batchSize: 32, labelSmoothing: 0.1, weightDecay: 1e-3, updateEvery: 2, rho: 0.05 };

  it('an in-process stepper gives the same weights and ADMM residuals as none; started once with the loss as data, disposed', async () => {
    const plainModel = mlp(8, [16, 3], { softmax: true, seed: 2 });
    const plain = await admmTrain(plainModel, data, plan, { ...opts, container: registry() });
    const log = { started: [] as LossSpec[], disposed: 0, steps: 0 };
    const model = mlp(8, [16, 3], { softmax: true, seed: 2 });
    const stepped = await admmTrain(model, data, plan, { ...opts, container: registry(), stepper: inProcessStepper(log) });
    expect(log).toEqual({ started: [{ kind: 'crossentropy', output: 'probabilities', labelSmoothing: 0.1 }], disposed: 1, steps: 6 });
    expect(stepped.solver.history).toHaveLength(3);
    expect(stepped.solver.history.map((h) => h.primal)).toEqual(plain.solver.history.map((h) => h.primal));
    expect(weightsOf(model)).toEqual(weightsOf(plainModel));
    expect(stepped.history.map((h) => h.trainLoss)).toEqual(plain.history.map((h) => h.trainLoss));
    plain.solver.dispose();
    stepped.solver.dispose();
  });

  it("a non-finite loss from the stepper throws TS_DIVERGED, leaves the weights alone and frees the step's gradients", async () => {
    const model = mlp(8, [16, 3], { softmax: true, seed: 2 });
    const before = weightsOf(model);
    const log = { started: [] as LossSpec[], disposed: 0, steps: 0 };
    const tensors = tf.memory().numTensors;
    const e = await trainDense(model, data, { epochs: 1, lr: 0.05, batchSize: 32, stepper: inProcessStepper(log, NaN) }).catch((x: unknown) => x);
    expect(isTensorslimError(e, 'TS_DIVERGED')).toBe(true);
    expect(log.steps).toBe(1);
    expect(log.disposed).toBe(1);
    expect(weightsOf(model)).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
