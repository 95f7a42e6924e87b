import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerPlugin, type FormatPlugin } from '@tensorslim/core';
import { buildProgram } from '../src/main.js';
import { loadPlugins } from '../src/plugins.js';
import { CLI_REFERENCE_REGENERATE, cliReference, helpText } from '../src/help-doc.js';

const cliMd = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));

beforeAll(async () => {
  await loadPlugins(); // the built-in formats, as scripts/gen-cli-docs.mjs does
});

describe('docs/cli.md', () => {
  it('is what scripts/gen-cli-docs.mjs generates from the current --help texts', () => {
    const page = cliReference(buildProgram());
    const committed = readFileSync(cliMd, 'utf8');
    expect(committed, `docs/cli.md is out of date: run \`${CLI_REFERENCE_REGENERATE}\``).toBe(page);
  });

  it('has a section with the --help text of every command and subcommand', () => {
    const program = buildProgram();
    const page = cliReference(program);
    const paths: string[] = [];
    const walk = (c: Command, prefix: string) => {
      const path = prefix ? `${prefix} ${c.name()}` : c.name();
      paths.push(path);
      for (const s of c.commands) walk(s, path);
    };
    walk(program, '');
    expect(paths).toContain('tensorslim decompose');
    expect(paths).toContain('tensorslim bench layers');
    for (const p of paths) {
      expect(page).toContain(`\n## ${p}\n`);
      expect(page).toContain(`$ ${p} --help\n`);
    }
    const decompose = program.commands.find((c) => c.name() === 'decompose')!;
    expect(page).toContain(helpText(decompose));
    // the decompose section ends with the built-in formats and their rank conventions
    expect(helpText(decompose)).toMatch(/Registered formats \(--format\) and their rank conventions \(--ranks\):\n {2}tt {6}tensor train — TT: d\+1 ranks/);
    expect(helpText(decompose)).toMatch(/\n {2}tr {6}tensor ring — /);
    expect(helpText(decompose)).toMatch(/\n {2}tucker {2}Tucker — /);
  });

  it('wraps help at a fixed width, whatever the terminal, and leaves the output settings alone', () => {
    const program = buildProgram();
    const compress = program.commands.find((c) => c.name() === 'compress')!;
    const before = compress.configureOutput();
    const text = helpText(compress, 72);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(72);
    expect(text.split('\n').some((l) => l.length > 65)).toBe(true);
    expect(
      Math.max(
        ...helpText(compress)
          .split('\n')
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(80);
    expect(compress.configureOutput()).toEqual(before);
  });

  it('lists a plugin registered later (what --plugin does) with its rank convention under decompose', () => {
    const extra: FormatPlugin = {
      id: 'docs-test',
      name: 'docs test format',
      description: 'for this test',
      decomposition: {
        rankConvention: 'two numbers: the row rank and the column rank of the test format',
        resolveRanks: () => [1],
        decompose: (t) => ({ format: 'docs-test', shape: t.shape, ranks: [1], cores: [] }),
        reconstruct: (f) => ({ shape: [...f.shape], data: new Float64Array(f.shape.reduce((a, b) => a * b, 1)) }),
        paramCount: () => 1,
      },
      projector: { id: 'docs-test', project: (w) => w },
    };
    registerPlugin(extra);
    const decompose = buildProgram().commands.find((c) => c.name() === 'decompose')!;
    const text = helpText(decompose);
    const section = text.slice(text.indexOf('Registered formats'));
    expect(section.replace(/\s+/g, ' ')).toMatch(/ docs-test docs test format — two numbers: the row rank and the column rank of the test format$/);
    expect(Math.max(...section.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    const narrow = helpText(decompose, 72);
    expect(Math.max(...narrow.split('\n').map((l) => l.length))).toBeLessThanOrEqual(72);
    expect(narrow.replace(/\s+/g, ' ')).toContain('docs-test docs test format — two numbers: the row rank and the column rank of the test format');
  });
});
