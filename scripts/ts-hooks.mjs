// Node module hooks for tests that need a fresh process (kill-and-resume, save → load): run the
// workspace's TypeScript sources directly (transpiled by the repository's own `typescript`), with
// every workspace package's name aliased to its src/index.ts as vitest does. Test-only.
// Use: node --import <repo>/scripts/ts-register.mjs script.(ts|mjs)
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { workspacePackages } from './workspace.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// every workspace package with a src/index.ts
const entries = new Map(workspacePackages().flatMap((p) => (p.entry ? [[p.name, p.entry]] : [])));

export async function resolve(specifier, context, next) {
  const entry = entries.get(specifier);
  if (entry) return { url: pathToFileURL(entry).href, shortCircuit: true };
  if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

// Transpiled output is cached by path, size and mtime: a test spawns many processes.
const cacheDir = join(root, 'node_modules', '.cache', 'ts-hooks');

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const file = fileURLToPath(url);
  const st = statSync(file);
  const key = createHash('sha1').update(`${file}:${st.size}:${st.mtimeMs}`).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  const out = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true, sourceMap: false },
  });
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    writeFileSync(tmp, out.outputText);
    renameSync(tmp, cached);
  } catch {
    // a read-only tree: no cache, same result
  }
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
