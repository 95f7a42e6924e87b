/**
 * What the command prints: one-line errors, JSON lines, medians.
 *
 * @module
 */
import { TensorslimError } from '@tensorslim/core';

/** Formats an error as the single stderr line the command prints. */
export function errorLine(e: unknown): string {
  if (e instanceof TensorslimError) return `tensorslim: error ${e.code}: ${e.message.replace(/\s*\n\s*/g, ' ')}`;
  const err = e as { code?: string; message?: string };
  if (err && err.code === 'ENOENT') return `tensorslim: error TS_DATA: ${err.message}`;
  return `tensorslim: error: ${err?.message ?? String(e)}`;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Parses "1,2,3" into integers; `what` names the flag in errors. */
export function parseIntList(s: string, what: string): number[] {
  return s.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 0) throw new TensorslimError('TS_OPTION', `${what}: "${x}" is not a non-negative integer`);
    return n;
  });
}
