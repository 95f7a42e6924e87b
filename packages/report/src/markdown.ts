/**
 * Markdown helpers for reports: tables with aligned columns and number formatting that prints
 * missing values as an em dash.
 *
 * @module
 */

/** A table cell: text, a number (formatted with {@link formatNumber}), or missing. */
export type MarkdownCell = string | number | null | undefined;

/** Column alignment. */
export type MarkdownAlign = 'left' | 'right' | 'center';

/** Escapes the characters that break a table cell (pipes, newlines). */
export function escapeMarkdownCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A number for people: `digits` significant digits, integers as integers with thousands
 * separators left out (machine-friendly), non-finite or missing values as "—".
 */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e9)) return x.toExponential(Math.max(0, digits - 1));
  return String(+x.toPrecision(digits));
}

/** A fraction as a percentage with `digits` decimals: 0.9812 → "98.12%"; missing → "—". */
export function formatPercent(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

/** A duration: 850 → "850 ms", 12_300 → "12.3 s", 754_000 → "12 min 34 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${+s.toFixed(1)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${Math.round(s - 60 * min)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/**
 * A GitHub-flavoured Markdown table. Numbers are formatted with {@link formatNumber}; columns
 * are padded so the source reads as a table too.
 *
 * @example
 * ```ts
 * markdownTable(['layer', 'params'], [['conv2', 2416], ['fc1', 48120]], { align: ['left', 'right'] });
 * ```
 */
export function markdownTable(header: readonly string[], rows: readonly (readonly MarkdownCell[])[], opts: { align?: readonly MarkdownAlign[] } = {}): string {
  const cell = (c: MarkdownCell): string => (typeof c === 'number' ? formatNumber(c) : c === null || c === undefined ? '—' : escapeMarkdownCell(c));
  const body = rows.map((r) => header.map((_, j) => cell(r[j])));
  const head = header.map((h) => escapeMarkdownCell(h));
  const width = head.map((h, j) => Math.max(3, h.length, ...body.map((r) => r[j]!.length)));
  const align = header.map(
    (_, j) => opts.align?.[j] ?? (rows.length > 0 && rows.every((r) => typeof r[j] === 'number' || r[j] === null || r[j] === undefined) ? 'right' : 'left'),
  );
  const pad = (s: string, j: number) => (align[j] === 'right' ? s.padStart(width[j]!) : s.padEnd(width[j]!));
  const rule = width.map((w, j) => {
    const a = align[j];
    if (a === 'right') return '-'.repeat(w - 1) + ':';
    if (a === 'center') return ':' + '-'.repeat(w - 2) + ':';
    return '-'.repeat(w);
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head.map(pad)), line(rule), ...body.map((r) => line(r.map(pad)))].join('\n') + '\n';
}
