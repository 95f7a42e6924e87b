#!/usr/bin/env node
// Enforces the dependency direction of ../shared/ARCHITECTURE.md:
//   cli -> admm -> surgery, io -> core -> linalg; cli -> models, plugins -> core;
//   backends -> linalg, beside core; conformance -> core, for the plugins' tests only.
//   - linalg (float64 numerics and the error family) imports no other @tensorslim package.
//   - core imports only linalg: no plugin, no admm, no backends (it defines formats without
//     any training kernel), none of surgery, io and conformance, which build on it.
//   - backends (backend selection, training kernels) imports only linalg, for the error family;
//     not core: the two stand side by side, and the CLI and benchmarks use both.
//   - surgery (whole-model surgery and budgets: modelSummary, factorizeModel, budgetPlan), io
//     (model IO on disk, the manifest checks, atomic writes) and conformance (the plugin
//     conformance suite) each import core and linalg only, not each other.
//   - a plugin and models import core and linalg (and TF.js); a plugin's tests also use
//     conformance (and surgery), which are dev dependencies, not imports of its src.
//   - admm imports core, linalg, surgery (factorizeModel, plan targets) and io (saving models,
//     checkpoint and report files); it imports no plugin and names no format.
//   - prune (magnitude masks, the reweighted regularizer, channel surgery, and its pipelines on admm's solver) imports core, linalg, surgery, io and admm.
//   - robust (adversarial training, ATMC's projectors) imports core, linalg, admm (losses,
//     evaluation, the batch-transform type) and prune (the magnitude projector); admm imports neither.
//   - only cli imports backends, models, robust and the plugins; nothing imports cli; no src
//     imports conformance (a plugin's tests do).
// A package not listed here may import nothing of the workspace until it is given a rule.
// Usage: node scripts/lint-deps.mjs <package dir>   (exit 1 on a violation)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const pkg = basename(dir);
const PLUGINS = ['decomp-tt', 'decomp-tr', 'decomp-tucker', 'decomp-atd'];
const allowed = {
  linalg: [],
  core: ['linalg'],
  backends: ['linalg'],
  surgery: ['core', 'linalg'],
  io: ['core', 'linalg'],
  conformance: ['core', 'linalg'],
  'decomp-tt': ['core', 'linalg'],
  'decomp-tr': ['core', 'linalg'],
  'decomp-tucker': ['core', 'linalg'],
  'decomp-atd': ['core', 'linalg'],
  admm: ['core', 'linalg', 'surgery', 'io'],
  models: ['core', 'linalg'],
  prune: ['core', 'linalg', 'surgery', 'io', 'admm'],
  robust: ['core', 'linalg', 'admm', 'prune'],
  cli: ['linalg', 'core', 'surgery', 'io', 'backends', 'admm', 'models', 'prune', 'robust', ...PLUGINS],
};
// a branch on a format id: === 'tt', case 'tucker':, 'tr' === x
const formatWords = /(?:===|!==|==|case)\s*['"`](?:tt|tr|tucker|cp)['"`]|['"`](?:tt|tr|tucker|cp)['"`]\s*(?:===|!==|==)/;

function files(d) {
  const out = [];
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|mts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

const problems = [];
for (const f of files(join(dir, 'src'))) {
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]@tensorslim\/([a-z-]+)/g)) {
    if (!(allowed[pkg] ?? []).includes(m[1])) problems.push(`${f}: @tensorslim/${pkg} must not import @tensorslim/${m[1]}`);
  }
  if (pkg !== 'cli' && !PLUGINS.includes(pkg)) {
    text.split('\n').forEach((line, i) => {
      if (formatWords.test(line) && !/lint-allow-format/.test(line)) problems.push(`${f}:${i + 1}: ${pkg} branches on a format id: ${line.trim()}`);
    });
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`lint-deps: ${pkg} ok`);
