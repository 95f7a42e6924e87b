/**
 * Bundles page/entry.ts for the browser with esbuild, the way an application would bundle
 * tensorslim: platform `browser` (a Node built-in anywhere in the import graph fails the build),
 * ES module output. `@tensorslim/*` resolve to the packages' TypeScript sources (dist may not be
 * built); core's one entry point has no Node built-in in its graph (model IO on disk is
 * `@tensorslim/io`'s, which the page does not import).
 */
import { build, type Metafile } from 'esbuild';
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sourceAliases } from '../../../../scripts/workspace.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const pkgDir = join(here, '..', '..');

/** Where each workspace package resolves in the bundle: its sources. */
export const pageAliases: Record<string, string> = sourceAliases();

/** What {@link bundlePage} wrote. */
export interface PageBundle {
  /** The directory holding index.html and page.js. */
  dir: string;
  /** Size of page.js in bytes. */
  bytes: number;
  /** esbuild's metafile (every input of the bundle). */
  metafile: Metafile;
}

/** Writes `index.html` and the bundled `page.js` into `dir`. */
export async function bundlePage(dir: string): Promise<PageBundle> {
  const outfile = join(dir, 'page.js');
  const r = await build({
    entryPoints: [join(pkgDir, 'page', 'entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    alias: pageAliases,
    metafile: true,
    logLevel: 'silent',
  });
  copyFileSync(join(pkgDir, 'page', 'index.html'), join(dir, 'index.html'));
  return { dir, bytes: r.metafile.outputs[Object.keys(r.metafile.outputs)[0]!]!.bytes, metafile: r.metafile };
}
