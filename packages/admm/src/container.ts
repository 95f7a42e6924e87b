/**
 * How the solver is built through tsyringe: explicit string tokens and factory registrations
 * (no decorator metadata — vitest's esbuild emits none). The format plugins are not tsyringe
 * registrations: the container holds core's plugin registry as one value ({@link PLUGIN_REGISTRY}),
 * and the default projector resolver reads projectors from it.
 *
 * @module
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { PluginRegistry } from '@tensorslim/core';
import { defaultRegistry, resolveProjector } from '@tensorslim/core';
import type { AdmmOptions } from './options.js';
import type { AdmmLayer, ProjectorResolver, RegularizerResolver } from './solver.js';
import { AdmmSolver } from './solver.js';

export type { DependencyContainer } from 'tsyringe';

/** Token of the solver factory: resolves to an {@link AdmmSolverFactory}. */
export const ADMM_SOLVER = 'tensorslim:admm-solver';

/**
 * Token of the projector resolver the solver uses. Registered by default as
 * `id => resolveProjector(id, registry)`; register your own to route projections elsewhere.
 */
export const PROJECTOR_RESOLVER = 'tensorslim:projector-resolver';

/**
 * Token of the regularizer resolver the solver uses: `id => registry.regularizer(id)` by
 * default. A plan id it resolves is a penalty layer; any other id goes to the projector resolver.
 */
export const REGULARIZER_RESOLVER = 'tensorslim:regularizer-resolver';

/** Token of the plugin registry (core's `PluginRegistry`) the default projector resolver reads. */
export const PLUGIN_REGISTRY = 'tensorslim:plugin-registry';

/** Builds a solver for the given layers and options. */
export type AdmmSolverFactory = (layers: readonly AdmmLayer[], options?: Partial<AdmmOptions>) => AdmmSolver;

/**
 * Registers the solver factory (and, unless they are there, the default projector and regularizer resolvers) in a
 * container. Idempotent. The default resolver takes projectors from the container's
 * {@link PLUGIN_REGISTRY}, or from core's default registry when it has none.
 */
export function registerAdmm(container: DependencyContainer): void {
  const registryOf = (c: DependencyContainer) => (c.isRegistered(PLUGIN_REGISTRY, true) ? c.resolve<PluginRegistry>(PLUGIN_REGISTRY) : defaultRegistry);
  if (!container.isRegistered(PROJECTOR_RESOLVER, true)) {
    container.register<ProjectorResolver>(PROJECTOR_RESOLVER, { useFactory: (c) => (id: string) => resolveProjector(id, registryOf(c)) });
  }
  if (!container.isRegistered(REGULARIZER_RESOLVER, true)) {
    container.register<RegularizerResolver>(REGULARIZER_RESOLVER, { useFactory: (c) => (id: string) => registryOf(c).regularizer(id) });
  }
  if (!container.isRegistered(ADMM_SOLVER, true)) {
    container.register<AdmmSolverFactory>(ADMM_SOLVER, {
      useFactory:
        (c) =>
        (layers, options = {}) =>
          new AdmmSolver(layers, options, c.resolve<ProjectorResolver>(PROJECTOR_RESOLVER), c.resolve<RegularizerResolver>(REGULARIZER_RESOLVER)),
    });
  }
}

/** A fresh tsyringe container (a child of tsyringe's root) holding `registry`, with the solver factory registered. */
export function admmContainer(registry: PluginRegistry = defaultRegistry): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.register<PluginRegistry>(PLUGIN_REGISTRY, { useValue: registry });
  registerAdmm(c);
  return c;
}

/**
 * Builds a solver through tsyringe: from `container` when one is given (its registrations, e.g.
 * a replaced {@link PROJECTOR_RESOLVER}, win), else from {@link admmContainer}(`registry`).
 */
export function createAdmmSolver(
  layers: readonly AdmmLayer[],
  options: Partial<AdmmOptions> = {},
  registry: PluginRegistry = defaultRegistry,
  container: DependencyContainer = admmContainer(registry),
): AdmmSolver {
  registerAdmm(container);
  return container.resolve<AdmmSolverFactory>(ADMM_SOLVER)(layers, options);
}
