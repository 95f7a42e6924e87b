import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { publishedPackages, root } from '../../../scripts/workspace.mjs';

const lint = join(root, 'scripts', 'lint-deps.mjs');
/** '' when the rule holds; otherwise the exit status and what the rule printed (a silent failure is not a pass). */
const run = (dir: string) => {
  try {
    execFileSync(process.execPath, [lint, dir], { stdio: 'pipe' });
    return '';
  } catch (e) {
    const { status, stderr } = e as { status: number | null; stderr: Buffer };
    return `exit ${status}: ${String(stderr)}`;
  }
};
const packages = publishedPackages();

describe('dependency direction (ARCHITECTURE.md)', () => {
  it.each(packages.map((p) => basename(p.dir)))('%s respects it', (p) => {
    expect(run(join(root, 'packages', p))).toBe('');
  });
  it('the rule catches a core that imports a plugin or backends, a linalg that imports core, and an admm that branches on a format', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lint-'));
    for (const [pkg, code] of [
      ['core', "import { ttPlugin } from '@tensorslim/decomp-tt';\nimport { selectBackend } from '@tensorslim/backends';\n"],
      ['linalg', "import { fail } from '@tensorslim/core';\n"],
      ['backends', "import { parsePlan } from '@tensorslim/core';\n"],
      ['admm', "export const f = (id: string) => (id === 'tucker' ? 1 : 0);\n"],
    ] as const) {
      mkdirSync(join(tmp, pkg, 'src'), { recursive: true });
      writeFileSync(join(tmp, pkg, 'src', 'x.ts'), code);
    }
    expect(run(join(tmp, 'core'))).toMatch(/must not import @tensorslim\/decomp-tt/);
    expect(run(join(tmp, 'core'))).toMatch(/must not import @tensorslim\/backends/);
    expect(run(join(tmp, 'linalg'))).toMatch(/@tensorslim\/linalg must not import @tensorslim\/core/);
    expect(run(join(tmp, 'backends'))).toMatch(/@tensorslim\/backends must not import @tensorslim\/core/);
    expect(run(join(tmp, 'admm'))).toMatch(/branches on a format id/);
  });
});

describe('format plugins have one file layout', () => {
  const FILES = ['decomposition.ts', 'index.ts', 'layers.ts', 'plugin.ts', 'projector.ts', 'ranks.ts'];
  // decomp-atd decomposes data tensors, not weights: it registers no layers (its README says why),
  // and keeps its augmentations, objective and probe in modules of their own
  const differs: Record<string, { readonly absent: string[]; readonly extra: string[] }> = {
    'decomp-atd': { absent: ['layers.ts'], extra: ['augment.ts', 'objective.ts', 'probe.ts'] },
  };
  const plugins = packages.filter((p) => basename(p.dir).startsWith('decomp-'));
  it.each(plugins.map((p) => p.dir))('%s/src holds index, plugin, decomposition, projector, ranks and layers (less and more only as listed here)', (dir) => {
    const d = differs[basename(dir)] ?? { absent: [], extra: [] };
    expect(readdirSync(join(root, dir, 'src')).sort()).toEqual([...FILES.filter((f) => !d.absent.includes(f)), ...d.extra].sort());
  });
  it('covers every format plugin: four weight formats and ATD', () => {
    expect(plugins.map((p) => basename(p.dir)).sort()).toEqual(['decomp-atd', 'decomp-cp', 'decomp-tr', 'decomp-tt', 'decomp-tucker']);
  });
});

describe('the package list is written once (the root package.json workspaces)', () => {
  it("the README's package table names every published package, and no other", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = [...readme.matchAll(/^\| \[`(@tensorslim\/[a-z-]+)`\]\((packages\/[a-z-]+)\)/gm)].map((m) => [m[1], m[2]]);
    expect(table.sort()).toEqual(packages.map((p) => [p.name, p.dir]).sort());
  });
  it('every published package has the nx targets (build, typecheck, test, lint), a README and a typedoc entry', () => {
    for (const p of packages) {
      const meta = JSON.parse(readFileSync(join(p.path, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      expect(Object.keys(meta.scripts ?? {}), p.name).toEqual(expect.arrayContaining(['build', 'typecheck', 'test', 'lint']));
      expect(readFileSync(join(p.path, 'README.md'), 'utf8'), p.name).toMatch(new RegExp(`^# ${p.name}\\n`));
      expect((JSON.parse(readFileSync(join(p.path, 'typedoc.json'), 'utf8')) as { entryPoints: string[] }).entryPoints[0], p.name).toBe('src/index.ts');
    }
  });
});
