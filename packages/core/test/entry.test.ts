// core's entry point is for Node and web pages alike: nothing it imports is a Node built-in or
// vitest (model IO on disk is @tensorslim/io's, the conformance suite @tensorslim/conformance's).
import { describe, expect, it } from 'vitest';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));

/** The source files an entry point reaches through relative imports, and the bare specifiers they import. */
function importGraph(entry: string): { files: string[]; bare: Set<string> } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    )) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else
        bare.add(
          spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    }
  };
  visit(join(pkg, 'src', entry));
  return { files: [...seen].map((f) => relative(join(pkg, 'src'), f)), bare };
}

describe("core's entry point", () => {
  it('reaches no Node built-in (static or dynamic import) and not vitest', () => {
    const g = importGraph('index.ts');
    expect(g.files.length).toBeGreaterThan(20);
    expect(g.files).toContain(join('surgery', 'replace.ts'));
    const builtin = [...g.bare].filter((s) => s.startsWith('node:') || builtinModules.includes(s));
    expect(builtin).toEqual([]);
    expect([...g.bare].sort()).toEqual(['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorslim/linalg', 'mathjs', 'zod']);
  });
  it('has one export, no browser condition (it needs none) and no vitest among its dependencies', () => {
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      dependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    expect(meta.exports).toEqual({ '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' });
    expect(meta.dependencies.vitest).toBeUndefined();
    expect(meta.peerDependencies?.vitest).toBeUndefined();
  });
});
