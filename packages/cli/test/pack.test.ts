// The packages as a user gets them from the registry: build, `npm pack`, install the tarballs
// alone into an empty project (offline, from npm's cache: tests use no network), and run the
// examples of the plugin READMEs there with plain Node. The project's lockfile pins TF.js and the
// rest to the workspace's own lockfile, so the tarballs `npm ci` cached are all it needs: plain
// `npm install --offline <tarballs> @tensorflow/...` would also need the registry's metadata
// (packuments), which `npm ci` does not cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const REGISTRY = (process.env.npm_config_registry ?? 'https://registry.npmjs.org/').replace(/\/?$/, '/');
const TFJS = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-layers@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0'];

/** Environment of the child npm/node processes: no npm_* settings inherited from `npm test`, except where the cache and registry are. */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())) env[k] = v;
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

/** Runs a command; resolves with stdout, rejects with a message holding the command's stderr. */
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: childEnv(), maxBuffer: 64 << 20, timeout: 170_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

const tsc = (pkg: string) =>
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'packages', pkg, 'tsconfig.build.json')], root);

interface PackResult {
  filename: string;
  integrity: string;
  files: { path: string }[];
}

/** `npm pack` of a workspace package into `dest`; returns the tarball path, its integrity and its file list. */
async function pack(pkg: string, dest: string): Promise<Packed> {
  const out = await run('npm', ['pack', '--json', '--pack-destination', dest], join(root, 'packages', pkg));
  const [res] = JSON.parse(out.slice(out.indexOf('['))) as PackResult[];
  return { pkg, tarball: join(dest, res!.filename), integrity: res!.integrity, files: res!.files.map((f) => f.path) };
}

/** The ```js blocks of a package README, in order. */
function readmeExamples(pkg: string): string[] {
  const md = readFileSync(join(root, 'packages', pkg, 'README.md'), 'utf8');
  return [...md.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** An entry of a package-lock.json `packages` map. */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** A packed workspace package: where it came from and its tarball. */
interface Packed {
  /** Workspace directory name under packages/. */
  pkg: string;
  tarball: string;
  integrity: string;
  files: string[];
}

/** The dependencies npm installs for an entry: dependencies, optional ones, non-optional peers. */
function installedDeps(e: LockEntry): string[] {
  const optionalPeers = new Set(
    Object.entries(e.peerDependenciesMeta ?? {})
      .filter(([, m]) => m.optional)
      .map(([n]) => n),
  );
  return [
    ...Object.keys(e.dependencies ?? {}),
    ...Object.keys(e.optionalDependencies ?? {}),
    ...Object.keys(e.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n)),
  ];
}

/**
 * The package-lock.json of a project that depends on the packed tarballs and TF.js: every
 * third-party package pinned to the version, tarball URL and integrity the workspace's own
 * lockfile has (so `npm ci --offline` needs only the tarballs `npm ci` put in npm's cache, not
 * registry metadata), laid out as the workspace lays them out.
 */
function lockfileFor(packed: Packed[], rootDeps: Record<string, string>): { packages: Record<string, LockEntry> } {
  const ws = (JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const byName = new Map(packed.map((p) => [`@tensorslim/${p.pkg}`, p]));
  const out: Record<string, LockEntry> = { '': { name: 'tensorslim-pack-test', dependencies: rootDeps } };
  // the workspace lock path a package required from `from` resolves to (Node's lookup upwards)
  const resolveIn = (name: string, from: string): string | undefined => {
    for (let dir = from; ; dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '') {
      const cand = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (ws[cand] && !dir.endsWith('node_modules')) return cand;
      if (dir === '') return undefined;
    }
  };
  // workspace path → path in the test project (a workspace package dir becomes its installed dir)
  const place = (wsPath: string): string => wsPath.replace(/^packages\/([^/]+)/, (_m, d: string) => `node_modules/@tensorslim/${d}`);
  const queue: { name: string; from: string }[] = Object.keys(rootDeps).map((name) => ({ name, from: '' }));
  const seen = new Set<string>();
  while (queue.length) {
    const { name, from } = queue.shift()!;
    const mine = byName.get(name);
    if (mine) {
      const at = `node_modules/${name}`;
      if (seen.has(at)) continue;
      seen.add(at);
      const meta = JSON.parse(readFileSync(join(root, 'packages', mine.pkg, 'package.json'), 'utf8')) as LockEntry & { license?: string };
      const entry: LockEntry = { version: meta.version, resolved: `file:${mine.tarball}`, integrity: mine.integrity };
      for (const k of ['license', 'dependencies', 'peerDependencies', 'peerDependenciesMeta'] as const)
        if (meta[k]) (entry as Record<string, unknown>)[k] = meta[k];
      out[at] = entry;
      for (const d of installedDeps(entry)) queue.push({ name: d, from: `packages/${mine.pkg}` });
      continue;
    }
    const wsPath = resolveIn(name, from);
    if (!wsPath) {
      if (from !== '' && (ws[from]?.optionalDependencies ?? {})[name] !== undefined) continue; // an optional dependency not installed here
      throw new Error(`${name} (needed by ${from || 'the test project'}) is not in the workspace's package-lock.json`);
    }
    const at = place(wsPath);
    if (seen.has(at)) continue;
    seen.add(at);
    const { dev: _dev, devOptional: _devOptional, ...entry } = ws[wsPath]!;
    if (entry.link) throw new Error(`${name} is a workspace link (${String(entry.resolved)}) that was not packed`);
    // the workspace lockfile may omit tarball URLs (npm's omit-lockfile-registry-resolved); without
    // one npm asks the registry where the tarball is, so give the registry's standard URL
    const pkgName = wsPath.slice(wsPath.lastIndexOf('node_modules/') + 'node_modules/'.length);
    entry.resolved ??= `${REGISTRY}${pkgName}/-/${pkgName.slice(pkgName.lastIndexOf('/') + 1)}-${entry.version}.tgz`;
    out[at] = entry;
    for (const d of installedDeps(entry)) queue.push({ name: d, from: wsPath });
  }
  return { packages: out };
}

/**
 * An empty project with the given packed packages (and TF.js) installed by `npm ci --offline`:
 * from npm's cache only, at the versions of the workspace's lockfile.
 */
async function project(dir: string, packed: Packed[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const rootDeps: Record<string, string> = {};
  for (const p of packed) rootDeps[`@tensorslim/${p.pkg}`] = `file:${p.tarball}`;
  for (const t of TFJS) {
    const at = t.lastIndexOf('@');
    rootDeps[t.slice(0, at)] = t.slice(at + 1);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tensorslim-pack-test', private: true, type: 'module', dependencies: rootDeps }, null, 2));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ name: 'tensorslim-pack-test', lockfileVersion: 3, requires: true, ...lockfileFor(packed, rootDeps) }, null, 2),
  );
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], dir);
  return dir;
}

/** Writes `code` as a module in `dir` and runs it with node; returns stdout lines. */
async function runExample(dir: string, name: string, code: string): Promise<string[]> {
  writeFileSync(join(dir, name), code);
  const out = await run(process.execPath, [name], dir);
  return out.trim().split('\n');
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** Parses the example's report line: "Class r0,r1,... P0 -> P1 params F0 -> F1 MACs error E". */
function parseReport(line: string) {
  const m = /^(\w+) ([\d,]+) (\d+) -> (\d+) params (\d+) -> (\d+) MACs error (\d\.\d{3})$/.exec(line);
  expect(m, `unexpected report line: ${line}`).not.toBeNull();
  return {
    className: m![1]!,
    ranks: m![2]!.split(',').map(Number),
    paramsBefore: Number(m![3]),
    paramsAfter: Number(m![4]),
    flopsBefore: Number(m![5]),
    flopsAfter: Number(m![6]),
    error: Number(m![7]),
  };
}

// The layer every README example compresses: a 3×3 conv 64 → 64, 'same' padding, on 16×16 inputs.
const CIN = 64;
const COUT = 64;
const PIXELS = 16 * 16;
const DENSE_PARAMS = 9 * CIN * COUT + COUT;
const DENSE_MACS = PIXELS * 9 * CIN * COUT;

/** The packages packed: the plugins and what they stand on, surgery for the READMEs' factorizeModel; backends too, to check its tarball. */
const PACKED = ['linalg', 'spectra', 'core', 'surgery', 'backends', 'decomp-tt', 'decomp-tr', 'decomp-tucker', 'decomp-cp'];
/** Packages whose modules register something (layer classes with TF.js) when imported. */
const SIDE_EFFECTS = new Set(['core', 'decomp-tt', 'decomp-tr', 'decomp-tucker', 'decomp-cp']);
const PLUGINS = ['decomp-tt', 'decomp-tr', 'decomp-tucker', 'decomp-cp'];

let work: string;
const tgz: Record<string, Packed> = {};
let ttProject: string;
let trTuckerCpProject: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tensorslim-pack-'));
  await tsc('linalg'); // spectra, core, backends and the plugins type against linalg's dist
  await Promise.all([tsc('spectra'), tsc('core'), tsc('backends')]); // the plugins and surgery type against core's (and spectra's) dist
  await tsc('surgery');
  await Promise.all([tsc('decomp-tt'), tsc('decomp-tr'), tsc('decomp-tucker'), tsc('decomp-cp')]);
  const dest = join(work, 'tgz');
  mkdirSync(dest);
  const packed = await Promise.all(PACKED.map((pkg) => pack(pkg, dest)));
  PACKED.forEach((pkg, i) => (tgz[pkg] = packed[i]!));
  [ttProject, trTuckerCpProject] = await Promise.all([
    project(join(work, 'tt'), [tgz['linalg']!, tgz['spectra']!, tgz['core']!, tgz['surgery']!, tgz['decomp-tt']!]),
    project(join(work, 'tr-tucker-cp'), [
      tgz['linalg']!,
      tgz['spectra']!,
      tgz['core']!,
      tgz['surgery']!,
      tgz['decomp-tr']!,
      tgz['decomp-tucker']!,
      tgz['decomp-cp']!,
    ]),
  ]);
}, 240_000);

afterAll(() => {
  if (work && existsSync(work)) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships dist (JavaScript + types) and the README, nothing else, with exports that point into it', () => {
    for (const pkg of PACKED) {
      const { files } = tgz[pkg]!;
      const meta = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as {
        exports: Record<string, { types?: string; import?: string } | string>;
        sideEffects?: unknown;
        peerDependencies?: Record<string, string>;
      };
      expect(files, pkg).toContain('package.json');
      expect(files, pkg).toContain('README.md');
      expect(
        files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md'),
        pkg,
      ).toEqual([]);
      const dot = meta.exports['.'] as { types: string; import: string };
      expect(files, pkg).toContain(dot.import.replace(/^\.\//, ''));
      expect(files, pkg).toContain(dot.types.replace(/^\.\//, ''));
      expect(meta.sideEffects, SIDE_EFFECTS.has(pkg) ? `${pkg}: layers register with TF.js at import` : `${pkg}: nothing runs at import`).toBe(
        SIDE_EFFECTS.has(pkg),
      );
      if (PLUGINS.includes(pkg)) {
        expect(Object.keys(meta.peerDependencies ?? {}).sort(), pkg).toEqual([
          '@tensorflow/tfjs-core',
          '@tensorflow/tfjs-layers',
          '@tensorslim/core',
          '@tensorslim/linalg',
        ]);
      }
    }
  });
});

describe('core + surgery + decomp-tt installed alone into an empty project', () => {
  let dir: string;
  beforeAll(() => {
    dir = ttProject;
  });

  it('resolves one copy of core, of linalg and of TF.js, and nothing of the workspace', () => {
    const pkgs = ['@tensorslim/core', '@tensorslim/linalg', '@tensorslim/surgery', '@tensorslim/decomp-tt', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'];
    for (const p of pkgs) expect(existsSync(join(dir, 'node_modules', p, 'package.json')), p).toBe(true);
    for (const p of ['decomp-tt', 'spectra', 'surgery', 'core', 'linalg'])
      expect(existsSync(join(dir, 'node_modules', '@tensorslim', p, 'node_modules')), p).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@tensorslim', 'decomp-tr'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@tensorslim', 'backends'))).toBe(false);
  });

  it("runs the README's layer example: TTConv2D at the ranks the shape allows, counts that match the TT cores", async () => {
    const [example] = readmeExamples('decomp-tt');
    const lines = await runExample(dir, 'example.mjs', example!);
    expect(lines).toHaveLength(2);
    const r = parseReport(lines[0]!);
    // modes [8, 8, 9, 8, 8], maxRank 16: r_k = min(16, ∏ modes left of k, ∏ modes right of k)
    const modes = [8, 8, 9, 8, 8];
    const ranks = [1, ...modes.slice(1).map((_, i) => Math.min(16, prod(modes.slice(0, i + 1)), prod(modes.slice(i + 1)))), 1];
    expect(ranks).toEqual([1, 8, 16, 16, 8, 1]);
    expect(r.className).toBe('TTConv2D');
    expect(r.ranks).toEqual(ranks);
    expect(r.paramsBefore).toBe(DENSE_PARAMS);
    expect(r.paramsAfter).toBe(sum(modes.map((n, k) => ranks[k]! * n * ranks[k + 1]!)) + COUT);
    expect(r.flopsBefore).toBe(DENSE_MACS);
    // 1×1 Cin → r3, 3×3 r3 → r2, 1×1 r2 → Cout
    expect(r.flopsAfter).toBe(PIXELS * (CIN * ranks[3]! + 9 * ranks[3]! * ranks[2]! + ranks[2]! * COUT));
    expect(r.error).toBeGreaterThan(0);
    expect(r.error).toBeLessThan(1);
    expect(lines[1]).toBe('1x16x16x64');
  });

  it("runs the README's TT-SVD example on a DenseTensor", async () => {
    const [, direct] = readmeExamples('decomp-tt');
    const lines = await runExample(dir, 'direct.mjs', direct!);
    const m = /^\[ 1, 16, 16, 16, 16, 1 \] (0\.\d+)$/.exec(lines[0]!);
    expect(m, lines.join('\n')).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThan(1);
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import type { CompressionPlan } from '@tensorslim/core';",
        "import { factorizeModel, type FactorizedLayerReport } from '@tensorslim/surgery';",
        "import { ttPlugin, registerTt, ttSvd, TTConv2D } from '@tensorslim/decomp-tt';",
        'registerTt();',
        'const plan: CompressionPlan = { version: 1, layers: { conv: { format: ttPlugin.id, ranks: { maxRank: 8 } } } };',
        'const f = ttSvd({ shape: [4, 4], data: new Float64Array(16) }, { maxRank: 2 });',
        'const ranks: readonly number[] = f.ranks;',
        'export const uses: [typeof factorizeModel, CompressionPlan, FactorizedLayerReport | null, string, readonly number[]] = [factorizeModel, plan, null, TTConv2D.className, ranks];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
        files: ['consumer.ts'],
      }),
    );
    await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  });
});

describe('core + surgery + decomp-tr + decomp-tucker + decomp-cp installed into an empty project', () => {
  let dir: string;
  beforeAll(() => {
    dir = trTuckerCpProject;
  });

  it("runs decomp-tr's README examples: TRConv2D with the parameters of its ring cores", async () => {
    const [example, direct] = readmeExamples('decomp-tr');
    const [lines, d] = await Promise.all([runExample(dir, 'tr.mjs', example!), runExample(dir, 'tr-direct.mjs', direct!)]);
    const r = parseReport(lines[0]!);
    const modes = [8, 8, 9, 8, 8];
    expect(r.className).toBe('TRConv2D');
    expect(r.ranks).toHaveLength(5);
    expect(Math.max(...r.ranks)).toBeLessThanOrEqual(8);
    expect(r.paramsBefore).toBe(DENSE_PARAMS);
    expect(r.paramsAfter).toBe(sum(modes.map((n, k) => r.ranks[k]! * n * r.ranks[(k + 1) % 5]!)) + COUT);
    expect(r.flopsBefore).toBe(DENSE_MACS);
    expect(r.flopsAfter).toBeLessThan(DENSE_MACS);
    expect(lines[1]).toBe('1x16x16x64');
    expect(d[0]).toMatch(/^\[ 4, 4, 8, 8 \] 1600 0\.\d+$/); // 4·16·4 + 4·16·8 + 8·9·8 + 8·8·4
  });

  it("runs decomp-tucker's README examples: Tucker2Conv2D with core + factor parameters", async () => {
    const [example, direct] = readmeExamples('decomp-tucker');
    const [lines, d] = await Promise.all([runExample(dir, 'tucker.mjs', example!), runExample(dir, 'tucker-direct.mjs', direct!)]);
    const r = parseReport(lines[0]!);
    expect(r.className).toBe('Tucker2Conv2D');
    expect(r.ranks).toEqual([16, 16]);
    expect(r.paramsBefore).toBe(DENSE_PARAMS);
    expect(r.paramsAfter).toBe(16 * 9 * 16 + 2 * 64 * 16 + COUT);
    expect(r.flopsBefore).toBe(DENSE_MACS);
    expect(r.flopsAfter).toBe(PIXELS * (CIN * 16 + 9 * 16 * 16 + 16 * COUT));
    expect(lines[1]).toBe('1x16x16x64');
    expect(d[0]).toBe('[ 16, 8 ] {');
    expect(d.join('\n')).toMatch(/\} 2432 0\.\d+$/); // core 16·9·8 + factors 64·16 + 32·8
  });

  it("runs decomp-cp's README examples: CPConv2D with R·ΣI_k parameters", async () => {
    const [example, direct] = readmeExamples('decomp-cp');
    const [lines, d] = await Promise.all([runExample(dir, 'cp.mjs', example!), runExample(dir, 'cp-direct.mjs', direct!)]);
    const r = parseReport(lines[0]!);
    expect(r.className).toBe('CPConv2D');
    expect(r.ranks).toEqual([16]);
    expect(r.paramsBefore).toBe(DENSE_PARAMS);
    expect(r.paramsAfter).toBe(16 * (COUT + 9 + CIN) + COUT);
    expect(r.flopsBefore).toBe(DENSE_MACS);
    // 1×1 Cin → 16, depthwise 3×3 over the 16 channels, 1×1 16 → Cout
    expect(r.flopsAfter).toBe(PIXELS * (CIN * 16 + 9 * 16 + 16 * COUT));
    expect(r.error).toBeGreaterThan(0);
    expect(r.error).toBeLessThan(1);
    expect(lines[1]).toBe('1x16x16x64');
    expect(d[0]).toMatch(/^\[ 8 \] 328 0\.\d+ \d+$/); // 8·(16 + 9 + 16)
  });
});
