#!/usr/bin/env node
// Enforces the dependency direction of ../shared/ARCHITECTURE.md:
//   cli -> experiment, bench, early, prune, robust -> admm -> report -> surgery, io -> core -> linalg;
//   models, plugins -> core; plugins -> spectra -> linalg; parallel -> backends -> linalg, beside core;
//   conformance -> core, for the plugins' tests only.
//   - linalg (float64 numerics and the error family) imports no other @tensorslim package.
//   - spectra (rank selection from spectra: truncation under an error budget, mode spectra of
//     arranged tensors, EVBMF) imports only linalg.
//   - core imports only linalg: no plugin, no admm, no backends (it defines formats without
//     any training kernel), none of surgery, io and conformance, which build on it.
//   - backends (backend selection, training kernels) imports only linalg, for the error family;
//     not core: the two stand side by side, and the CLI and benchmarks use both.
//   - parallel (the data-parallel gradient engine: worker threads, each with a backend from
//     backends and a model replica) imports only linalg and backends; the trainer gets it injected
//     (admm never imports it): cli and bench pass it in.
//   - surgery (whole-model surgery and budgets: modelSummary, factorizeModel, budgetPlan), io
//     (model IO on disk, the manifest checks, atomic writes) and conformance (the plugin
//     conformance suite) each import core and linalg only, not each other.
//   - report (Markdown tables, SVG plots, the compress report and its writer) imports core,
//     surgery (the layer reports it prints) and io (atomic writes): admm's pipeline writes the
//     report, so the records it reads are defined in report and admm re-exports them; report
//     never imports admm.
//   - a plugin and models import core and linalg (and TF.js), a plugin also spectra (truncation,
//     mode spectra, EVBMF); a plugin's tests also use conformance (and surgery), which are dev
//     dependencies, not imports of its src. One plugin builds on another: decomp-atd imports
//     decomp-cp (an ATD model is a CP model: CP-ALS start, ranks, reconstruction).
//   - admm imports core, linalg, surgery (factorizeModel, plan targets), io (saving models,
//     checkpoint files) and report; it imports no plugin and names no format.
//   - prune (magnitude masks, the reweighted regularizer, channel surgery, and its pipelines on
//     admm's solver) imports core, linalg, surgery, io and admm.
//   - robust (adversarial training, ATMC's projectors) imports core, linalg, admm (losses,
//     evaluation, the batch-transform type) and prune (the magnitude projector); admm imports neither.
//   - early (early decomposition on admm's training loop) imports core, linalg, surgery, admm and
//     report (its Markdown table); admm does not import it.
//   - experiment (the reproduction grid runner: drives `train` and `compress` through an injected
//     command runner, writes the table and plots) imports core, io, report (arms, budgets,
//     markdown, SVG) and models (built-in names, default plans); no backend, no plugin, no TF.js.
//   - bench (the training and layer benchmarks) imports core, linalg, backends (backend selection),
//     parallel (the gradient engine), models (architectures) and admm (the output kind of a model's loss).
//   - only cli imports experiment, bench, early and the plugins; nothing imports cli; no src
//     imports conformance (a plugin's tests do).
// A package not listed here may import nothing of the workspace until it is given a rule.
// Usage: node scripts/lint-deps.mjs <package dir>   (exit 1 on a violation)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const pkg = basename(dir);
const PLUGINS = ['decomp-tt', 'decomp-tr', 'decomp-tucker', 'decomp-cp', 'decomp-atd'];
const allowed = {
  linalg: [],
  core: ['linalg'],
  spectra: ['linalg'],
  backends: ['linalg'],
  parallel: ['linalg', 'backends'],
  surgery: ['core', 'linalg'],
  io: ['core', 'linalg'],
  conformance: ['core', 'linalg'],
  'decomp-tt': ['core', 'linalg', 'spectra'],
  'decomp-tr': ['core', 'linalg', 'spectra'],
  'decomp-tucker': ['core', 'linalg', 'spectra'],
  'decomp-cp': ['core', 'linalg', 'spectra'],
  'decomp-atd': ['core', 'linalg', 'spectra', 'decomp-cp'],
  report: ['core', 'surgery', 'io'],
  admm: ['core', 'linalg', 'surgery', 'io', 'report'],
  models: ['core', 'linalg'],
  prune: ['core', 'linalg', 'surgery', 'io', 'admm'],
  robust: ['core', 'linalg', 'admm', 'prune'],
  early: ['core', 'linalg', 'surgery', 'admm', 'report'],
  experiment: ['core', 'io', 'report', 'models'],
  bench: ['core', 'linalg', 'backends', 'parallel', 'models', 'admm'],
  cli: [
    'linalg',
    'spectra',
    'core',
    'surgery',
    'io',
    'backends',
    'parallel',
    'report',
    'admm',
    'models',
    'prune',
    'robust',
    'early',
    'experiment',
    'bench',
    ...PLUGINS,
  ],
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
