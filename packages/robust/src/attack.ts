/**
 * Adversarial examples: projected gradient descent (PGD, Madry et al. 2018) inside an L∞ ball of
 * radius ε around each input, FGSM (Goodfellow et al. 2015) as its one-step case; the training
 * loop's batch transform that trains on them (the W-step of ATMC); and accuracy under attack.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import type { Batch, DataSource } from '@tensorslim/core';
import { opt, parseOptions } from '@tensorslim/core';
import { correctCount, definedOnly, detectOutputKind, makeLoss, readScalars, type BatchTransform } from '@tensorslim/admm';

/** Options of {@link pgdAttack}. */
export const attackOptionsSchema = z.strictObject({
  eps: opt(z.number().positive().default(0.3), { description: 'L∞ radius ε of the attack (inputs in [0, 1]: 0.3 is the MNIST standard)', arg: 'E' }),
  steps: opt(z.number().int().min(1).default(7), { description: 'PGD iterations (1 with stepSize = ε and no random start is FGSM)', arg: 'N' }),
  stepSize: opt(z.number().positive().nullable().default(null), { description: 'PGD step size', defaultText: '2.5·ε/steps (Madry et al.)', arg: 'A' }),
  randomStart: opt(z.boolean().default(true), { description: 'start from a uniform random point of the ε-ball' }),
  clipMin: opt(z.number().default(0), { description: 'smallest valid input value' }),
  clipMax: opt(z.number().default(1), { description: 'largest valid input value' }),
  seed: opt(z.number().int().min(0).default(1), { description: 'seed of the random start', arg: 'S' }),
});

/** Options of {@link pgdAttack} (see {@link attackOptionsSchema}). */
export type AttackOptions = z.input<typeof attackOptionsSchema>;

/** FGSM as PGD: one step of size ε from the clean input. */
export function fgsmOptions(eps: number, extra: Partial<AttackOptions> = {}): AttackOptions {
  return { ...extra, eps, steps: 1, stepSize: eps, randomStart: false };
}

/**
 * PGD: x₀ = x (+ uniform noise in the ε-ball with `randomStart`), then `steps` times
 * `x ← clip_[x−ε, x+ε] ∩ [clipMin, clipMax](x + α·sign(∇ₓ loss(model(x), y)))`, with the model in
 * inference mode and the crossentropy of its output (logits or probabilities, as the model ends).
 * Returns a new tensor; the caller disposes it (and keeps `xs`, `ys`).
 */
export function pgdAttack(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, options: AttackOptions = {}): tf.Tensor {
  const o = parseOptions(attackOptionsSchema, definedOnly(options));
  const alpha = o.stepSize ?? (2.5 * o.eps) / o.steps;
  const lossFn = makeLoss('crossentropy', detectOutputKind(model), 0);
  const grad = tf.grad((x: tf.Tensor) => lossFn(ys, model.apply(x, { training: false }) as tf.Tensor));
  return tf.tidy(() => {
    const lo = tf.maximum(tf.sub(xs, o.eps), o.clipMin);
    const hi = tf.minimum(tf.add(xs, o.eps), o.clipMax);
    let x = o.randomStart ? tf.clipByValue(tf.add(xs, tf.randomUniform(xs.shape, -o.eps, o.eps, 'float32', o.seed)), o.clipMin, o.clipMax) : xs;
    for (let k = 0; k < o.steps; k++) {
      const next = tf.tidy(() => tf.minimum(tf.maximum(tf.add(x, tf.mul(tf.sign(grad(x)), alpha)), lo), hi));
      if (x !== xs) x.dispose();
      x = next;
    }
    return x === xs ? xs.clone() : x;
  });
}

/**
 * The training loop's batch transform for adversarial training: each batch is replaced by its PGD
 * examples against the current weights (the labels stay). The random start's seed mixes the
 * attack's seed with the phase seed and the step, so a rerun sees the same examples.
 */
export function adversarialTransform(options: AttackOptions = {}): BatchTransform {
  const o = parseOptions(attackOptionsSchema, definedOnly(options));
  return (batch, model, ctx) => ({
    xs: pgdAttack(model, batch.xs, batch.ys, { ...o, seed: (o.seed * 1_000_003 + ctx.seed * 7919 + ctx.globalStep) % 2 ** 31 }),
    ys: batch.ys,
  });
}

/** Accuracy under attack. */
export interface RobustEvaluation {
  /** Clean accuracy on the same examples. */
  readonly clean: number;
  /** Accuracy on the PGD examples. */
  readonly robust: number;
  /** Examples evaluated. */
  readonly examples: number;
  /** The attack's settings. */
  readonly attack: Readonly<z.output<typeof attackOptionsSchema>>;
}

/**
 * Clean and robust accuracy of `model` on `data`'s validation split (or `batches`): each batch
 * is attacked with PGD at the given options (its seed fixed, plus the batch index), then
 * classified. The counts are read once, at the end, without blocking.
 */
export async function robustEvaluate(
  model: tfl.LayersModel,
  data: DataSource,
  options: AttackOptions = {},
  opts: { batchSize?: number; batches?: Iterable<Batch> } = {},
): Promise<RobustEvaluation> {
  const attack = parseOptions(attackOptionsSchema, definedOnly(options));
  const counts: tf.Tensor[] = []; // clean, robust of each batch
  let n = 0;
  let i = 0;
  let clean = 0;
  let robust = 0;
  try {
    for (const b of opts.batches ?? data.valBatches(opts.batchSize ?? 256)) {
      const adv = pgdAttack(model, b.xs, b.ys, { ...attack, seed: attack.seed + i++ });
      counts.push(
        ...tf.tidy(() => [
          correctCount(b.ys, model.apply(b.xs, { training: false }) as tf.Tensor),
          correctCount(b.ys, model.apply(adv, { training: false }) as tf.Tensor),
        ]),
      );
      n += b.xs.shape[0]!;
      tf.dispose([adv, b.xs, b.ys]);
    }
    const v = await readScalars(counts);
    for (let k = 0; k < v.length; k += 2) {
      clean += v[k]!;
      robust += v[k + 1]!;
    }
  } finally {
    tf.dispose(counts);
  }
  return { clean: n ? clean / n : NaN, robust: n ? robust / n : NaN, examples: n, attack };
}
