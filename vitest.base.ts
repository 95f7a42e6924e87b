/**
 * Shared vitest configuration: every package tests against the *sources* of its workspace
 * dependencies (no build needed), on the cpu backend, one fork per file.
 */
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = ['core', 'decomp-tt', 'decomp-tr', 'decomp-tucker', 'admm', 'models', 'cli'];

/** Aliases `@tensorslim/<pkg>` to `packages/<pkg>/src/index.ts`. */
export const workspaceAliases = Object.fromEntries(
  packages.map((p) => [`@tensorslim/${p}`, join(root, 'packages', p, 'src', 'index.ts')]),
);

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
      passWithNoTests: true,
    },
  });
}
