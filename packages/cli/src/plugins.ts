/**
 * Loading format plugins into the registry: the built-in ones and any named with `--plugin`.
 * A plugin module exports `plugin` (a FormatPlugin object) or a default export that is one.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { existsSync, statSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  ErrorCodes,
  fail,
  registerPlugin,
  validatePlugin,
  defaultContainer,
  type DependencyContainer,
  type FormatPlugin,
} from '@tensorslim/core';

/** The plugin packages the command registers by default. */
export const BUILTIN_PLUGINS: readonly string[] = ['@tensorslim/decomp-tt', '@tensorslim/decomp-tr', '@tensorslim/decomp-tucker'];

function pluginFromModule(mod: Record<string, unknown>, source: string): FormatPlugin {
  const cand = (mod.plugin ?? (mod.default as Record<string, unknown> | undefined)?.plugin ?? mod.default) as unknown;
  if (!cand) fail(ErrorCodes.PLUGIN, `${source} exports no plugin`, 'export const plugin: FormatPlugin = {...} (see docs/plugin-guide.md)');
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

/** Imports a plugin module and registers its plugin; returns the plugin. */
export async function loadPlugin(spec: string, container: DependencyContainer = defaultContainer): Promise<FormatPlugin> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pluginSpecifier(spec))) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === ErrorCodes.PLUGIN) throw e;
    return fail(ErrorCodes.PLUGIN, `cannot load plugin ${spec}: ${(e as Error).message}`, 'pass a path to a built plugin package or an installed package name');
  }
  const p = pluginFromModule(mod, spec);
  registerPlugin(p, container);
  return p;
}

/** Registers the built-in plugins and then the extra ones. */
export async function loadPlugins(extra: readonly string[] = [], container: DependencyContainer = defaultContainer): Promise<void> {
  for (const spec of [...BUILTIN_PLUGINS, ...extra]) await loadPlugin(spec, container);
}
