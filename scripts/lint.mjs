#!/usr/bin/env node
// One lint pass over a folder: the workspace's dependency rules (scripts/lint-deps.mjs, for a
// folder under packages/), ESLint (eslint.config.mjs) and Prettier's check (.prettierrc.json, with the
// root .prettierignore). Every package's `lint` target runs it on its own folder, and the root's
// `npm test` runs it on the files outside packages (bench/, scripts/).
// Usage: node scripts/lint.mjs <dir> [more dirs]   (exit 1 on any finding)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dirs = (process.argv.length > 2 ? process.argv.slice(2) : ['.']).map((d) => resolve(d));
let failed = false;

for (const dir of dirs) {
  if (existsSync(join(dir, 'package.json')) && dirname(dir) === join(root, 'packages')) {
    const r = spawnSync(process.execPath, [join(root, 'scripts/lint-deps.mjs'), dir], { stdio: 'inherit' });
    if (r.status !== 0) failed = true;
  }
}

const eslint = new ESLint({ cwd: root });
const results = await eslint.lintFiles(dirs.map((d) => relative(root, d) || '.'));
const problems = results.filter((r) => r.errorCount + r.warningCount > 0);
if (problems.length > 0) {
  console.error((await eslint.loadFormatter('stylish')).format(problems));
  failed = true;
}

const ignorePath = join(root, '.prettierignore');
const unformatted = [];
for (const r of results) {
  const file = r.filePath;
  const info = await prettier.getFileInfo(file, { ignorePath, resolveConfig: true });
  if (info.ignored || info.inferredParser === null) continue;
  const options = { ...(await prettier.resolveConfig(file)), filepath: file };
  if (!(await prettier.check(readFileSync(file, 'utf8'), options))) unformatted.push(relative(root, file));
}
if (unformatted.length > 0) {
  console.error(`Prettier: ${unformatted.length} file(s) not formatted; run \`npx prettier --write <file>\`:\n  ${unformatted.join('\n  ')}`);
  failed = true;
}
if (failed) process.exit(1);
console.log(`lint: ${results.length} files clean (dependency rules, ESLint, Prettier)`);
