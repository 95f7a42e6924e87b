#!/usr/bin/env node
// Writes docs/schema/plan.schema.json, the JSON Schema of plan files, from the plan's zod schema
// (planSchema in packages/core/src/plan.ts: the same schema parsePlan validates with).
//   npm run build && node scripts/gen-plan-schema.mjs        (write the file)
//   node scripts/gen-plan-schema.mjs --check                 (exit 1 when the file is stale)
// The test packages/core/test/plan-schema.test.ts runs planJsonSchema() on the sources and fails
// when the committed file differs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'packages', 'core', 'dist', 'index.js');
const target = join(root, 'docs', 'schema', 'plan.schema.json');
if (!existsSync(entry)) {
  console.error('gen-plan-schema: packages/core/dist/index.js is missing; run `npm run build` first');
  process.exit(2);
}
const { planSchemaFile } = await import(pathToFileURL(entry).href);
const text = planSchemaFile();
if (process.argv.includes('--check')) {
  if ((existsSync(target) ? readFileSync(target, 'utf8') : '') !== text) {
    console.error('docs/schema/plan.schema.json is out of date: run `npm run build && node scripts/gen-plan-schema.mjs`');
    process.exit(1);
  }
  console.log('docs/schema/plan.schema.json is current');
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote docs/schema/plan.schema.json (${text.split('\n').length} lines)`);
}
