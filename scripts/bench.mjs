#!/usr/bin/env node
// npm run bench -- <name> [args...]: builds the packages (nx, cached), then runs bench/<name>.mjs.
// Every benchmark prints its figures beside a reference measured in the same run, as a ratio.
import { readdirSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(root, 'bench');
const names = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <name> [args]\nbenchmarks: ${names.join(', ')}`);
  process.exit(name ? 2 : 0);
}
execFileSync('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const r = spawnSync(process.execPath, [join(benchDir, `${name}.mjs`), ...rest], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
