#!/usr/bin/env node
// The tensorslim command. Runs the compiled CLI; in a fresh clone of the repository (no dist/
// yet) it builds the workspace once first, so `npm ci && npx tensorslim demo` just works.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'dist', 'main.js');
const repoRoot = join(here, '..', '..', '..');
if (!existsSync(main) && existsSync(join(repoRoot, 'nx.json'))) {
  process.stderr.write('tensorslim: first run in this checkout, building the packages (once)...\n');
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
const { main: run } = await import(main);
await run(process.argv.slice(2));
