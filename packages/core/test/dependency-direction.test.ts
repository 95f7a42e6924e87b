import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = fileURLToPath(new URL('../../..', import.meta.url));
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

describe('dependency direction (ARCHITECTURE.md)', () => {
  it.each(['core', 'decomp-tt', 'decomp-tr', 'decomp-tucker', 'admm', 'models', 'cli'])('%s respects it', (p) => {
    expect(run(join(root, 'packages', p))).toBe('');
  });
  it('the rule catches a core that imports a plugin and an admm that branches on a format', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lint-'));
    for (const [pkg, code] of [
      ['core', "import { ttPlugin } from '@tensorslim/decomp-tt';\n"],
      ['admm', "export const f = (id: string) => (id === 'tucker' ? 1 : 0);\n"],
    ] as const) {
      mkdirSync(join(tmp, pkg, 'src'), { recursive: true });
      writeFileSync(join(tmp, pkg, 'src', 'x.ts'), code);
    }
    expect(run(join(tmp, 'core'))).toMatch(/must not import @tensorslim\/decomp-tt/);
    expect(run(join(tmp, 'admm'))).toMatch(/branches on a format id/);
  });
});
