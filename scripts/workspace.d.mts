// Types of workspace.mjs.
/** One workspace package. */
export interface WorkspacePackage {
  /** Its npm name, e.g. `@tensorslim/core`. */
  name: string;
  /** Its directory relative to the repository root, e.g. `packages/core`. */
  dir: string;
  /** Its absolute directory. */
  path: string;
  /** Absolute path of its `src/index.ts`, or null when it has none. */
  entry: string | null;
}
/** The repository root. */
export const root: string;
/** Every workspace package, from the root package.json's `workspaces`. */
export function workspacePackages(): WorkspacePackage[];
/** The published packages: those under packages/. */
export function publishedPackages(): WorkspacePackage[];
/** `@tensorslim/<pkg>` → packages/<pkg>/src/index.ts, for every published package. */
export function sourceAliases(): Record<string, string>;
