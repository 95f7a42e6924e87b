/**
 * How the solver is built through tsyringe: explicit string tokens and factory registrations
 * (no decorator metadata — vitest's esbuild emits none).
 *
 * @module
 */
import type { DependencyContainer } from '@tensorslim/core';
import { defaultContainer, resolveProjector } from '@tensorslim/core';
import type { AdmmOptions } from './options.js';
import type { AdmmLayer, ProjectorResolver } from './solver.js';
import { AdmmSolver } from './solver.js';

/** Token of the solver factory: resolves to an {@link AdmmSolverFactory}. */
export const ADMM_SOLVER = 'tensorslim:admm-solver';

/**
 * Token of the projector resolver the solver uses. Registered by default as
 * `id => resolveProjector(id, container)`; register your own to route projections elsewhere.
 */
export const PROJECTOR_RESOLVER = 'tensorslim:projector-resolver';

/** Builds a solver for the given layers and options. */
export type AdmmSolverFactory = (layers: readonly AdmmLayer[], options?: Partial<AdmmOptions>) => AdmmSolver;

/**
 * Registers the solver factory (and, unless one is there, the default projector resolver) in a
 * container. Idempotent. The factory resolves projectors from the container it is resolved
 * from, so a child registry (core's `createRegistry()`) sees its own projectors.
 */
export function registerAdmm(container: DependencyContainer = defaultContainer): void {
  if (!container.isRegistered(PROJECTOR_RESOLVER, true)) {
    container.register<ProjectorResolver>(PROJECTOR_RESOLVER, {
      useFactory: (c) => (id: string) => resolveProjector(id, c),
    });
  }
  if (!container.isRegistered(ADMM_SOLVER, true)) {
    container.register<AdmmSolverFactory>(ADMM_SOLVER, {
      useFactory: (c) => (layers, options = {}) => new AdmmSolver(layers, options, c.resolve<ProjectorResolver>(PROJECTOR_RESOLVER)),
    });
  }
}

/** Resolves the solver factory from `container` (registering it first if needed) and builds a solver. */
export function createAdmmSolver(
  layers: readonly AdmmLayer[],
  options: Partial<AdmmOptions> = {},
  container: DependencyContainer = defaultContainer,
): AdmmSolver {
  registerAdmm(container);
  return container.resolve<AdmmSolverFactory>(ADMM_SOLVER)(layers, options);
}
