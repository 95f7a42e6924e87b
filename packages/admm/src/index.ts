/**
 * @tensorslim/admm — the ADMM solver of Yin et al. (CVPR 2021) and the compress pipeline around
 * it: ADMM training (ρ = 1e-3, Z/U update per epoch, SGD momentum 0.9 by default, as the paper)
 * → decomposition by the format plugins → fine-tuning → evaluation → saved model + report.
 * Generic over formats: projectors come from the registry by the plan's format ids. The report
 * (report.json, report.md, plots) is built and written by `@tensorslim/report`.
 *
 * @packageDocumentation
 */
export * from './options.js';
export * from './events.js';
export * from './rho.js';
export * from './solver.js';
export * from './container.js';
export * from './loss.js';
export * from './evaluate.js';
export * from './read.js';
export * from './gradient-source.js';
export * from './trainer.js';
export * from './checkpoint.js';
export * from './targets.js';
export * from './surgery.js';
export * from './weights.js';
export type { CompressReport } from './report.js';
export * from './compress.js';
export * from './train.js';
