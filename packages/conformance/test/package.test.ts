// @tensorslim/conformance registers vitest tests: vitest is a peer dependency (the plugin's own),
// never a dependency, and the suite is the package's main export, built to dist.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as suite from '../src/index.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));

describe('the conformance package', () => {
  it('exports the suite from its main entry, built to dist, with a typedoc entry', () => {
    expect(typeof suite.describePluginConformance).toBe('function');
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(meta.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' });
    const typedoc = JSON.parse(readFileSync(join(pkg, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
    expect(typedoc.entryPoints).toEqual(['src/index.ts']);
  });
  it('takes vitest, core and linalg as peer dependencies: the plugin under test brings its own', () => {
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    for (const p of ['vitest', '@tensorslim/core', '@tensorslim/linalg']) {
      expect(meta.peerDependencies[p], p).toBeDefined();
      expect(meta.peerDependenciesMeta?.[p]?.optional, p).toBeUndefined();
      expect(meta.dependencies?.[p], p).toBeUndefined();
    }
    expect(readFileSync(join(pkg, 'src', 'conformance.ts'), 'utf8')).toMatch(/^import \{[^}]*\bdescribe\b[^}]*\} from 'vitest';$/m);
  });
});
