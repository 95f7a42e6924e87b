/**
 * The ρ schedule: constant (the paper), or multiplied by a factor every K updates up to a cap.
 *
 * @module
 */
import type { RhoSchedule } from './options.js';

/**
 * ρ after `updates` Z/U updates, starting from `rho0`: `min(max, rho0 · factor^⌊updates / every⌋)`,
 * or `rho0` when there is no schedule.
 */
export function rhoAfter(rho0: number, schedule: RhoSchedule | null, updates: number): number {
  if (!schedule) return rho0;
  const steps = Math.floor(updates / schedule.every);
  return Math.min(schedule.max, rho0 * Math.pow(schedule.factor, steps));
}
