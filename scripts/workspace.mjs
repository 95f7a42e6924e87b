// The workspace's packages, read from the root package.json's `workspaces` globs: the same list
// npm links and nx builds its project graph from, so no other file needs to repeat it.
// Used by vitest.base.ts (source aliases), scripts/ts-hooks.mjs, the dependency-direction and
// README checks, and anything else that needs "every package".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/** The directories a `workspaces` entry names: `dir/*` (every subdirectory with a package.json) or one directory. */
function expand(pattern) {
  if (!pattern.endsWith('/*')) return [pattern];
  const base = pattern.slice(0, -2);
  return readdirSync(join(root, base), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, base, e.name, 'package.json')))
    .map((e) => `${base}/${e.name}`)
    .sort();
}

/**
 * Every workspace package: `name` (from its package.json), `dir` (relative to the root, e.g.
 * `packages/core`), `path` (absolute) and `entry` (absolute path of `src/index.ts`, or null).
 */
export function workspacePackages() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces.flatMap(expand).map((dir) => {
    const path = join(root, dir);
    const { name } = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
    const entry = join(path, 'src', 'index.ts');
    return { name, dir, path, entry: existsSync(entry) ? entry : null };
  });
}

/** The published packages: those under packages/ (e2e/ is private). */
export function publishedPackages() {
  return workspacePackages().filter((p) => p.dir.startsWith('packages/'));
}

/**
 * Every workspace package's name → its src/index.ts (published and private ones), and each
 * subpath export `@tensorslim/<pkg>/<sub>` → packages/<pkg>/src/<sub>/index.ts (listed first: an
 * alias also matches the names below it).
 */
export function sourceAliases() {
  const subpaths = publishedPackages().flatMap((p) => {
    const { exports } = JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8'));
    return Object.keys(exports ?? {})
      .filter((k) => k.startsWith('./') && k !== './package.json')
      .map((k) => [`${p.name}/${k.slice(2)}`, join(p.path, 'src', k.slice(2), 'index.ts')])
      .filter(([, entry]) => existsSync(entry));
  });
  return Object.fromEntries([
    ...subpaths,
    // every package's main entry (a package's tests reach its workspace dependencies' sources, e.g. decomp-atd → decomp-cp)
    ...workspacePackages()
      .filter((p) => p.entry)
      .map((p) => [p.name, p.entry]),
  ]);
}
