// @tensorslim/core/testing (the plugin conformance suite) needs vitest; core's main entry must not.
import { describe, expect, it } from 'vitest';
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

describe('the testing entry point', () => {
  it.each(['index.ts', 'browser.ts'])("core's %s reaches neither vitest nor src/testing", (entry) => {
    const g = importGraph(entry);
    expect(g.files.length).toBeGreaterThan(20);
    expect(g.files.filter((f) => f.startsWith('testing'))).toEqual([]);
    expect([...g.bare]).not.toContain('vitest');
  });
  it('the conformance suite is the ./testing export, built to dist; vitest is an optional peer dependency', () => {
    const g = importGraph(join('testing', 'index.ts'));
    expect([...g.bare]).toContain('vitest');
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    expect(meta.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', import: './dist/testing/index.js' });
    expect(meta.peerDependencies?.vitest).toBeDefined();
    expect(meta.peerDependenciesMeta?.vitest?.optional).toBe(true);
    expect(meta.dependencies.vitest).toBeUndefined();
    const typedoc = JSON.parse(readFileSync(join(pkg, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
    expect(typedoc.entryPoints).toContain('src/testing/index.ts');
  });
});
