/**
 * Loading format plugins into the registry: the built-in ones and any named with `--plugin`.
 * A plugin module's default export is its FormatPlugin object (the built-ins' and the plugin
 * guide's convention); a module without one may export it as `plugin`, or as its only export that
 * looks like a plugin (an object with `decomposition` and `projector`).
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ErrorCodes, fail, registerPlugin, validatePlugin, defaultRegistry, type PluginRegistry, type FormatPlugin } from '@tensorslim/core';

/** The plugin packages the command registers by default. */
export const BUILTIN_PLUGINS: readonly string[] = [
  '@tensorslim/decomp-tt',
  '@tensorslim/decomp-tr',
  '@tensorslim/decomp-tucker',
  '@tensorslim/decomp-cp',
  '@tensorslim/decomp-atd',
];

const pluginLike = (v: unknown): boolean => typeof v === 'object' && v !== null && 'decomposition' in v && 'projector' in v;

function pluginFromModule(mod: Record<string, unknown>, source: string): FormatPlugin {
  const named = Object.entries(mod).filter(([k, v]) => k !== 'default' && pluginLike(v));
  const dflt = mod.default as Record<string, unknown> | undefined;
  const cand = [dflt, mod.plugin, dflt?.plugin, named.length === 1 ? named[0]![1] : undefined].find(pluginLike) ?? mod.plugin ?? dflt;
  if (!cand) {
    fail(
      ErrorCodes.PLUGIN,
      `${source} exports no plugin${named.length > 1 ? ` (several exports look like one: ${named.map(([k]) => k).join(', ')})` : ''}`,
      'export the FormatPlugin object as the default export: export default myPlugin (see docs/plugin-guide.md)',
    );
  }
  validatePlugin(cand);
  return cand;
}

/** Resolves `--plugin` to an importable specifier: a path (file or package directory) or a package name. */
export function pluginSpecifier(spec: string, cwd = process.cwd()): string {
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || spec.includes('\\');
  if (!looksLikePath) return spec;
  const p = resolve(cwd, spec);
  if (!existsSync(p)) fail(ErrorCodes.PLUGIN, `plugin path ${spec} does not exist`);
  if (statSync(p).isDirectory()) {
    const pkgPath = join(p, 'package.json');
    if (existsSync(pkgPath)) {
      const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: string; exports?: unknown };
      const exp = pkg.exports as Record<string, unknown> | string | undefined;
      const dot = typeof exp === 'string' ? exp : (exp?.['.'] as Record<string, string> | string | undefined);
      const entry = typeof dot === 'string' ? dot : (dot?.import ?? dot?.default ?? pkg.main ?? 'index.js');
      return pathToFileURL(join(p, entry)).href;
    }
    return pathToFileURL(join(p, 'index.js')).href;
  }
  return pathToFileURL(p).href;
}

const loaded = new Set<string>();

/** The module specifiers of the plugins loaded so far (worker threads import them to register the plugins' layers). */
export function loadedPluginModules(): string[] {
  return [...loaded];
}

/** Imports a plugin module and registers its plugin; returns the plugin. */
export async function loadPlugin(spec: string, container: PluginRegistry = defaultRegistry): Promise<FormatPlugin> {
  let mod: Record<string, unknown>;
  const specifier = pluginSpecifier(spec);
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === ErrorCodes.PLUGIN) throw e;
    return fail(ErrorCodes.PLUGIN, `cannot load plugin ${spec}: ${(e as Error).message}`, 'pass a path to a built plugin package or an installed package name');
  }
  const p = pluginFromModule(mod, spec);
  registerPlugin(p, container);
  loaded.add(specifier);
  return p;
}

/** Registers the built-in plugins and then the extra ones. */
export async function loadPlugins(extra: readonly string[] = [], container: PluginRegistry = defaultRegistry): Promise<void> {
  for (const spec of [...BUILTIN_PLUGINS, ...extra]) await loadPlugin(spec, container);
}
