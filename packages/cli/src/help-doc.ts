/**
 * The CLI reference (docs/cli.md) generated from the program itself: the `--help` text of every
 * command, wrapped at a fixed width so the page does not depend on the terminal. One function,
 * used by `scripts/gen-cli-docs.mjs` (which writes the page) and by the test that checks the
 * committed page is current.
 *
 * @module
 */
import type { Command } from 'commander';

/** Width the help texts are wrapped at in the reference. */
export const CLI_REFERENCE_WIDTH = 80;

/** How to regenerate the page; printed in the page and in the test's failure message. */
export const CLI_REFERENCE_REGENERATE = 'npm run build && node scripts/gen-cli-docs.mjs';

/** The full command path of `cmd`, e.g. "tensorslim bench layers". */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The commands under `root` (itself first), depth first, in the order they were added. */
function allCommands(root: Command): Command[] {
  return [root, ...root.commands.flatMap((c) => allCommands(c))];
}

/**
 * What `cmd --help` prints (including text added with `addHelpText`), wrapped at `width`
 * columns and without colors. The command's output settings are restored afterwards.
 */
export function helpText(cmd: Command, width = CLI_REFERENCE_WIDTH): string {
  const saved = { ...cmd.configureOutput() };
  let out = '';
  cmd.configureOutput({
    writeOut: (s: string) => {
      out += s;
    },
    writeErr: (s: string) => {
      out += s;
    },
    getOutHelpWidth: () => width,
    getErrHelpWidth: () => width,
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  try {
    cmd.outputHelp();
  } finally {
    cmd.configureOutput(saved);
  }
  return out.replace(/[ \t]+$/gm, '').trimEnd();
}

/** GitHub/typedoc-style anchor of a heading. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

/**
 * The Markdown CLI reference of `program`: a contents list, then one section per command
 * (the program, each subcommand, each sub-subcommand) holding its `--help` text. The `decompose`
 * section lists the formats registered when this runs (load the built-in plugins first).
 */
export function cliReference(program: Command): string {
  const cmds = allCommands(program);
  const parts: string[] = [
    '---',
    'title: CLI reference',
    '---',
    '',
    '# CLI reference',
    '',
    `<!-- Generated from the program's --help texts by scripts/gen-cli-docs.mjs; do not edit by hand. Regenerate: ${CLI_REFERENCE_REGENERATE} -->`,
    '',
    `Every \`${program.name()}\` command with the text its \`--help\` prints. The format plugins listed`,
    'under `decompose` are the built-in ones; plugins loaded with `--plugin <path or package>`',
    'are listed there too when you run `--help` yourself. Put `--plugin` after the subcommand',
    `(\`${program.name()} decompose --plugin ./my-plugin --format my-format ...\`).`,
    '',
    '## Commands',
    '',
    ...cmds.map((c) => {
      const path = commandPath(c);
      const summary = c === program ? 'the program and its global options' : c.summary() || firstSentence(c.description());
      return `- [\`${path}\`](#${anchor(path)}) — ${summary}`;
    }),
  ];
  for (const c of cmds) {
    const path = commandPath(c);
    parts.push('', `## ${path}`, '', '```text', `$ ${path} --help`, helpText(c), '```');
  }
  return parts.join('\n') + '\n';
}

/** The first sentence of a description, for the contents list. */
function firstSentence(text: string): string {
  const m = /^(.*?[.:;])(\s|$)/.exec(text);
  return (m ? m[1]! : text).replace(/[.:;]$/, '');
}
