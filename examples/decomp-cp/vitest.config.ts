import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// vitest 5's reporter calls Map.groupBy (Node ≥ 21); on Node 20 a failing test would crash the
// reporter instead of printing the failure.
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

// An outside author's config: tests import the public entry points of @tensorslim/core,
// @tensorslim/linalg, the conformance suite (@tensorslim/conformance) and @tensorslim/surgery
// (factorizeModel with a plan in the format).
const source = (pkg: string) => fileURLToPath(new URL(`../../packages/${pkg}/src/index.ts`, import.meta.url));
export default defineConfig({
  resolve: {
    alias: Object.fromEntries(['core', 'linalg', 'conformance', 'surgery'].map((p) => [`@tensorslim/${p}`, source(p)])),
  },
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, pool: 'forks', maxWorkers: 1 },
});
