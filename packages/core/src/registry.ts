/**
 * The plugin registry: a tsyringe container. Plugins register under their id; the solver and
 * the CLI resolve by id. Tokens are explicit strings (no decorator metadata needed).
 *
 * @module
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import type { FormatPlugin, Projector } from './contracts.js';

export type { DependencyContainer } from 'tsyringe';

/** Token under which every registered plugin is also listed (resolveAll). */
export const PLUGINS = 'tensorslim:plugins';
/** Token of one plugin by id. */
export function pluginToken(id: string): string {
  return `tensorslim:plugin:${id}`;
}
/** Token of one projector by id (plugins register theirs; projector-only entries are allowed). */
export function projectorToken(id: string): string {
  return `tensorslim:projector:${id}`;
}

/** The process-wide container tensorslim uses when none is passed. */
export const defaultContainer: DependencyContainer = rootContainer;

/**
 * A fresh registry for tests and embedders: a tsyringe child of {@link defaultContainer}.
 * Registrations made in it stay in it, but it is not isolated: a lookup it cannot answer falls
 * back to the default container. So {@link resolvePlugin} and {@link resolveProjector} also find
 * plugins registered globally, while {@link listPlugins} lists only the child's own plugins once
 * it has any (and the global ones while it has none).
 */
export function createRegistry(): DependencyContainer {
  return rootContainer.createChildContainer();
}

const ID = /^[a-z][a-z0-9-]*$/;

/** Checks a plugin object against the contract; throws `TS_PLUGIN` naming what is missing. */
export function validatePlugin(p: unknown): asserts p is FormatPlugin {
  const o = p as Partial<FormatPlugin> | null;
  const missing: string[] = [];
  if (!o || typeof o !== 'object') fail(ErrorCodes.PLUGIN, 'a plugin must be an object');
  if (typeof o.id !== 'string' || !ID.test(o.id)) missing.push('id (lowercase letters, digits, dashes)');
  if (typeof o.name !== 'string') missing.push('name');
  if (typeof o.description !== 'string') missing.push('description');
  const d = o.decomposition;
  for (const fn of ['decompose', 'reconstruct', 'paramCount', 'resolveRanks'] as const) {
    if (!d || typeof d[fn] !== 'function') missing.push(`decomposition.${fn}()`);
  }
  if (!o.projector || typeof o.projector.project !== 'function') missing.push('projector.project()');
  if (o.layers && (typeof o.layers.fromFactors !== 'function' || typeof o.layers.register !== 'function')) {
    missing.push('layers.fromFactors() and layers.register()');
  }
  if (missing.length) fail(ErrorCodes.PLUGIN, `plugin ${String(o.id ?? '(no id)')} does not satisfy the contract: missing ${missing.join(', ')}`);
}

/** Registers a plugin (and its projector) under its id; its layers register with TF.js too. */
export function registerPlugin(plugin: FormatPlugin, container: DependencyContainer = defaultContainer): void {
  validatePlugin(plugin);
  if (container.isRegistered(pluginToken(plugin.id), false)) return; // idempotent
  container.register(pluginToken(plugin.id), { useValue: plugin });
  container.register(PLUGINS, { useValue: plugin });
  container.register(projectorToken(plugin.id), { useValue: plugin.projector });
  plugin.layers?.register();
}

/** Registers a projector alone (no decomposition, no layers) for use by ADMM. */
export function registerProjector(projector: Projector, container: DependencyContainer = defaultContainer): void {
  if (!projector || typeof projector.project !== 'function' || typeof projector.id !== 'string') {
    fail(ErrorCodes.PLUGIN, 'a projector needs an id and a project(weight, target) function');
  }
  container.register(projectorToken(projector.id), { useValue: projector });
}

/** All registered plugins, in registration order. */
export function listPlugins(container: DependencyContainer = defaultContainer): FormatPlugin[] {
  if (!container.isRegistered(PLUGINS, true)) return [];
  const seen = new Set<string>();
  return container.resolveAll<FormatPlugin>(PLUGINS).filter((p) => !seen.has(p.id) && (seen.add(p.id), true));
}

/** The plugin with this id; `TS_UNKNOWN_FORMAT` lists the registered ones otherwise. */
export function resolvePlugin(id: string, container: DependencyContainer = defaultContainer): FormatPlugin {
  if (!container.isRegistered(pluginToken(id), true)) {
    const known = listPlugins(container).map((p) => p.id);
    fail(
      ErrorCodes.UNKNOWN_FORMAT,
      `unknown format "${id}"`,
      known.length ? `registered formats: ${known.join(', ')}` : 'no format plugin is registered; import one, e.g. @tensorslim/decomp-tt, and call its register()',
      { known },
    );
  }
  return container.resolve<FormatPlugin>(pluginToken(id));
}

/** The projector with this id (a plugin's or a projector registered alone). */
export function resolveProjector(id: string, container: DependencyContainer = defaultContainer): Projector {
  if (container.isRegistered(projectorToken(id), true)) return container.resolve<Projector>(projectorToken(id));
  return resolvePlugin(id, container).projector;
}
