/**
 * The settings of adversarial training, robust evaluation and the ATMC budget as schema fields,
 * which the command line turns into flags (`--adversarial pgd --adv-eps 0.3 --adv-steps 7
 * --quantize 8 --sparsity 0.5 --robust-steps 20`), and their translation into attack options.
 *
 * @module
 */
import { z } from 'zod';
import { opt } from '@tensorslim/core';
import { fgsmOptions, type AttackOptions } from './attack.js';

/** The fixed seed of the robust evaluation's random starts (a report's robust accuracy is reproducible). */
export const ROBUST_EVAL_SEED = 20191208;

/** Fields of adversarial training and robust evaluation. */
export const ADVERSARIAL_FIELDS = {
  adversarial: opt(z.enum(['none', 'pgd', 'fgsm']).default('none'), {
    description: 'train on adversarial examples generated on the fly against the current weights (every training phase)',
    arg: 'kind',
  }),
  advEps: opt(z.number().positive().default(0.3), { description: 'L∞ radius ε of the attacks (inputs in [0, 1])', arg: 'E' }),
  advSteps: opt(z.number().int().min(1).default(7), { description: 'PGD iterations in training', arg: 'N' }),
  advStepSize: opt(z.number().positive().optional(), { description: 'PGD step size', defaultText: '2.5·ε/steps', arg: 'A' }),
  robustSteps: opt(z.number().int().min(0).optional(), {
    description: 'PGD iterations of the robust evaluation (random start, fixed seed; 0: none)',
    defaultText: '20 with --adversarial, else 0',
    arg: 'N',
  }),
};

/** Fields of the ATMC budget beside the low-rank plan. */
export const ATMC_FIELDS = {
  quantize: opt(z.number().int().min(2).max(16).optional(), {
    description: 'ATMC: also project the planned kernels onto a k-bit grid in the Z-step',
    arg: 'K',
  }),
  sparsity: opt(z.number().min(0).lt(1).optional(), {
    description:
      'fraction of zeros. ADMM (default method): ATMC, also project the planned kernels onto this sparsity in the Z-step; --method reweighted: fraction of groups pruned in each planned layer (default 0.9)',
    arg: 'S',
  }),
};

/** The parsed adversarial fields. */
export type AdversarialFlags = z.output<z.ZodObject<typeof ADVERSARIAL_FIELDS>>;

/** The training attack the flags ask for, or null for natural training. */
export function trainingAttack(f: AdversarialFlags): AttackOptions | null {
  if (f.adversarial === 'none') return null;
  if (f.adversarial === 'fgsm') return fgsmOptions(f.advEps);
  return { eps: f.advEps, steps: f.advSteps, ...(f.advStepSize ? { stepSize: f.advStepSize } : {}) };
}

/** The robust evaluation's attack (PGD, random start, fixed seed), or null when it is off. */
export function evaluationAttack(f: AdversarialFlags): AttackOptions | null {
  const steps = f.robustSteps ?? (f.adversarial === 'none' ? 0 : 20);
  return steps > 0 ? { eps: f.advEps, steps, seed: ROBUST_EVAL_SEED } : null;
}
