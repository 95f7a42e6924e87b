/**
 * @tensorslim/cli — the `tensorslim` command, usable programmatically too.
 *
 * @packageDocumentation
 */
export { main, buildProgram } from './main.js';
export { loadPlugin, loadPlugins, pluginSpecifier, BUILTIN_PLUGINS } from './plugins.js';
export { runDecompose, decomposeFlagsSchema, type DecomposeFlags, type DecomposeResult } from './commands/decompose.js';
export { addFlags, parseFlags, withDefaults, type DefaultOverlay, type FlagsInput } from './schema-flags.js';
export { errorLine, median } from './output.js';
