#!/usr/bin/env node
// Writes docs/cli.md, the CLI reference, from the --help texts of the built program.
//   npm run build && node scripts/gen-cli-docs.mjs           (write docs/cli.md)
//   node scripts/gen-cli-docs.mjs --check                    (exit 1 when docs/cli.md is stale)
// The page is built by cliReference() in packages/cli/src/help-doc.ts; the test
// packages/cli/test/cli-docs.test.ts runs the same function on the sources and fails when the
// committed page differs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'packages', 'cli', 'dist');
const target = join(root, 'docs', 'cli.md');
for (const f of ['main.js', 'plugins.js', 'help-doc.js']) {
  if (!existsSync(join(dist, f))) {
    console.error(`gen-cli-docs: ${join('packages/cli/dist', f)} is missing; run \`npm run build\` first`);
    process.exit(2);
  }
}
const { buildProgram } = await import(pathToFileURL(join(dist, 'main.js')).href);
const { loadPlugins } = await import(pathToFileURL(join(dist, 'plugins.js')).href);
const { cliReference } = await import(pathToFileURL(join(dist, 'help-doc.js')).href);

await loadPlugins(); // the built-in formats, listed under `decompose`
const page = cliReference(buildProgram());
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== page) {
    console.error('docs/cli.md is out of date: run `npm run build && node scripts/gen-cli-docs.mjs`');
    process.exit(1);
  }
  console.log('docs/cli.md is current');
} else {
  writeFileSync(target, page);
  console.log(`wrote docs/cli.md (${page.split('\n').length} lines)`);
}
