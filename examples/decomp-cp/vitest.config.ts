import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// An outside author's config: tests import @tensorslim/core's public entry point.
export default defineConfig({
  resolve: { alias: { '@tensorslim/core': fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url)) } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, pool: 'forks', maxWorkers: 1 },
});
