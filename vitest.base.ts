/**
 * Shared vitest configuration: every package tests against the *sources* of its workspace
 * dependencies (no build needed), on the cpu backend, one fork per file.
 */
import { defineConfig } from 'vitest/config';

// vitest 5's reporter calls Map.groupBy (Node ≥ 21); this repository supports Node 20, where a
// failing test would otherwise crash the reporter instead of printing the failure.
if (typeof (Map as unknown as { groupBy?: unknown }).groupBy !== 'function') {
  Object.defineProperty(Map, 'groupBy', {
    configurable: true,
    writable: true,
    value<K, V>(items: Iterable<V>, key: (v: V, i: number) => K): Map<K, V[]> {
      const m = new Map<K, V[]>();
      let i = 0;
      for (const v of items) {
        const k = key(v, i++);
        const list = m.get(k);
        if (list) list.push(v);
        else m.set(k, [v]);
      }
      return m;
    },
  });
}
import { sourceAliases } from './scripts/workspace.mjs';

/** Aliases `@tensorslim/<pkg>` to `packages/<pkg>/src/index.ts`, for every package of the workspace. */
export const workspaceAliases = sourceAliases();

/** The vitest config of one package directory. */
export function packageConfig(dir: string) {
  return defineConfig({
    root: dir,
    resolve: { alias: workspaceAliases },
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      maxWorkers: 1,
      passWithNoTests: false,
    },
  });
}
