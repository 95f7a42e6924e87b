/**
 * The plugin registry: a map from format id to plugin object, and one from id to projector.
 * Plugins register under their id; the solver, model surgery and the CLI resolve by id. A
 * registry is plain data behind a small interface ({@link PluginRegistry}); programs that are
 * assembled with a dependency-injection container (the ADMM solver's) hold a registry as one of
 * its values.
 *
 * @module
 */
import { ErrorCodes, fail } from '@tensorslim/linalg';
import type { FormatPlugin, Projector, Regularizer } from './contracts.js';

/** Where plugins and projectors are registered and looked up by id. */
export interface PluginRegistry {
  /**
   * Adds a plugin (checked by {@link validatePlugin}) and its projector under the plugin's id,
   * and registers its layer classes with TF.js serialization. Registering the same plugin object
   * again does nothing (idempotent); another plugin under an id already taken is refused with
   * `TS_PLUGIN` (it would otherwise be silently ignored, and the first one used in its place).
   */
  register(plugin: FormatPlugin): void;
  /** Adds a projector alone (no decomposition, no layers), for ADMM; replaces one of the same id. */
  registerProjector(projector: Projector): void;
  /** Adds a regularizer (the penalty alternative to a projector); replaces one of the same id. */
  registerRegularizer(regularizer: Regularizer): void;
  /** The plugin with this id, if registered. */
  get(id: string): FormatPlugin | undefined;
  /** The projector with this id (a plugin's or one registered alone), if any. */
  projector(id: string): Projector | undefined;
  /** The regularizer with this id, if any. */
  regularizer(id: string): Regularizer | undefined;
  /** The registered plugins, in registration order. */
  list(): FormatPlugin[];
}

/**
 * A fresh, empty registry. It is isolated: it sees only what is registered in it, never the
 * {@link defaultRegistry} (so {@link listPlugins} and {@link resolvePlugin} always agree).
 * Use one per test or per embedding program.
 */
export function createRegistry(): PluginRegistry {
  const plugins = new Map<string, FormatPlugin>();
  const projectors = new Map<string, Projector>();
  const regularizers = new Map<string, Regularizer>();
  return {
    register(plugin) {
      validatePlugin(plugin);
      const had = plugins.get(plugin.id);
      if (had === plugin) return;
      if (had) {
        fail(
          ErrorCodes.PLUGIN,
          `format id "${plugin.id}" is already registered by another plugin`,
          `give your plugin (and its layer class names) an id of its own; registered: ${[...plugins.keys()].join(', ')}`,
        );
      }
      plugins.set(plugin.id, plugin);
      projectors.set(plugin.id, plugin.projector);
      plugin.layers?.register();
    },
    registerProjector(projector) {
      if (!projector || typeof projector.project !== 'function' || typeof projector.id !== 'string') {
        fail(ErrorCodes.PLUGIN, 'a projector needs an id and a project(weight, target) function');
      }
      projectors.set(projector.id, projector);
    },
    registerRegularizer(regularizer) {
      if (!regularizer || typeof regularizer.coefficients !== 'function' || typeof regularizer.id !== 'string') {
        fail(ErrorCodes.PLUGIN, 'a regularizer needs an id and a coefficients(weight, target) function');
      }
      regularizers.set(regularizer.id, regularizer);
    },
    get: (id) => plugins.get(id),
    projector: (id) => projectors.get(id),
    regularizer: (id) => regularizers.get(id),
    list: () => [...plugins.values()],
  };
}

/** The process-wide registry tensorslim uses when none is passed. */
export const defaultRegistry: PluginRegistry = createRegistry();

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
export function registerPlugin(plugin: FormatPlugin, registry: PluginRegistry = defaultRegistry): void {
  registry.register(plugin);
}

/** Registers a projector alone (no decomposition, no layers) for use by ADMM. */
export function registerProjector(projector: Projector, registry: PluginRegistry = defaultRegistry): void {
  registry.registerProjector(projector);
}

/** All registered plugins, in registration order. */
export function listPlugins(registry: PluginRegistry = defaultRegistry): FormatPlugin[] {
  return registry.list();
}

/** The plugin with this id; `TS_UNKNOWN_FORMAT` lists the registered ones otherwise. */
export function resolvePlugin(id: string, registry: PluginRegistry = defaultRegistry): FormatPlugin {
  const p = registry.get(id);
  if (p) return p;
  const known = registry.list().map((q) => q.id);
  return fail(
    ErrorCodes.UNKNOWN_FORMAT,
    `unknown format "${id}"`,
    known.length
      ? `registered formats: ${known.join(', ')}`
      : 'no format plugin is registered; import one, e.g. @tensorslim/decomp-tt, and register its plugin',
    { known },
  );
}

/** The projector with this id (a plugin's or a projector registered alone). */
export function resolveProjector(id: string, registry: PluginRegistry = defaultRegistry): Projector {
  return registry.projector(id) ?? resolvePlugin(id, registry).projector;
}

/** Registers a regularizer (a penalty re-estimated every K steps) for use by the solver. */
export function registerRegularizer(regularizer: Regularizer, registry: PluginRegistry = defaultRegistry): void {
  registry.registerRegularizer(regularizer);
}

/** The regularizer with this id; `TS_UNKNOWN_NAME` lists the registered ones otherwise. */
export function resolveRegularizer(id: string, registry: PluginRegistry = defaultRegistry): Regularizer {
  const r = registry.regularizer(id);
  if (r) return r;
  return fail(ErrorCodes.UNKNOWN_NAME, `unknown regularizer "${id}"`, 'register it first with registerRegularizer(), e.g. from @tensorslim/prune');
}
