/**
 * Modules a worker imports: the worker entry itself, the loss, the preloads. A worker thread
 * runs what Node runs, so when this package runs from its TypeScript sources (the repository's
 * tests, which alias every @tensorslim package to its `src/`), the workers get the repository's
 * test-only module hooks (scripts/ts-register.mjs: `.ts` transpiled, `@tensorslim/<pkg>` aliased
 * to its sources) and the `.ts` entry. Built packages (`dist/`, what users install) run as they are.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, fail } from '@tensorslim/linalg';
import type { ModuleRef } from './types.js';

/** How to start a worker running `entry` (a module beside this one, named without extension). */
export interface WorkerLaunch {
  /** The entry module. */
  readonly url: URL;
  /** Extra Node options of the worker (the TypeScript hooks when running from sources). */
  readonly execArgv: readonly string[];
}

/** The launch of ./<name>.js, or of ./<name>.ts with the repository's TypeScript hooks when running from sources. */
export function workerLaunch(name: string): WorkerLaunch {
  const js = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return { url: js, execArgv: [] };
  const ts = new URL(`./${name}.ts`, import.meta.url);
  const hooks = new URL('../../../scripts/ts-register.mjs', import.meta.url); // packages/parallel/src → repository root
  if (!existsSync(fileURLToPath(ts)) || !existsSync(fileURLToPath(hooks))) {
    fail(ErrorCodes.BACKEND, `the worker module ${fileURLToPath(js)} is missing`, 'build @tensorslim/parallel (npm run build)');
  }
  return { url: ts, execArgv: ['--import', fileURLToPath(hooks)] };
}

/** A specifier a worker can import: package names as they are, absolute paths as `file:` URLs. */
export function runnableSpecifier(specifier: string): string {
  return specifier.startsWith('/') || /^[A-Za-z]:[\\/]/.test(specifier) ? pathToFileURL(specifier).href : specifier;
}

/** The same reference with a runnable module. */
export function runnableRef(ref: ModuleRef): ModuleRef {
  return { ...ref, module: runnableSpecifier(ref.module) };
}

/** Imports a reference's module and returns the function it names (calling the factory when `args` are given). */
export async function loadFunction(ref: ModuleRef): Promise<(...a: never[]) => unknown> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const f = mod[ref.export];
  if (typeof f !== 'function') {
    fail(ErrorCodes.OPTION, `module ${ref.module} has no function export '${ref.export}'`, 'check the module reference (module, export)');
  }
  const fn = ref.args ? (f as (...a: unknown[]) => unknown)(...ref.args) : f;
  if (typeof fn !== 'function')
    fail(ErrorCodes.OPTION, `${ref.module}#${ref.export}(...args) did not return a function`, 'the export must be a factory when args are given');
  return fn as (...a: never[]) => unknown;
}
