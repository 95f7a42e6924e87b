/**
 * A small, dependency-free SVG line-plot writer: several series, axes with ticks, an optional
 * log-scale y axis (for residuals), a legend and a title. The output is a standalone SVG document
 * (a string) that browsers and Markdown viewers render as is.
 *
 * @module
 */

/** One line of a plot. */
export interface PlotSeries {
  /** Legend label. */
  readonly name: string;
  /** The y values. */
  readonly y: readonly (number | null | undefined)[];
  /** The x values (default 0, 1, 2, ...); same length as `y`. */
  readonly x?: readonly number[];
  /** Stroke color (default: a built-in palette by series index). */
  readonly color?: string;
  /** Dashed stroke. */
  readonly dashed?: boolean;
  /** Draw a dot at every point (default: when the series has at most 40 points). */
  readonly markers?: boolean;
}

/** What {@link linePlotSvg} draws. */
export interface LinePlotOptions {
  /** The series; points whose y is not finite (or not positive on a log axis) break the line. */
  readonly series: readonly PlotSeries[];
  /** Title above the plot. */
  readonly title?: string;
  /** Label under the x axis. */
  readonly xLabel?: string;
  /** Label beside the y axis. */
  readonly yLabel?: string;
  /** Total width in pixels (default 640). */
  readonly width?: number;
  /** Total height in pixels (default 360). */
  readonly height?: number;
  /** Logarithmic y axis (base 10). */
  readonly logY?: boolean;
  /** Fixed lower end of the y axis (default: from the data). */
  readonly yMin?: number;
  /** Fixed upper end of the y axis (default: from the data). */
  readonly yMax?: number;
}

/** The default series colors (colorblind-safe, Okabe–Ito). */
export const PLOT_PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

/** Escapes the five XML special characters. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * "Nice" tick positions (multiples of 1, 2 or 5 × 10^k) covering [min, max], about `count` of
 * them. Returns `[min]` when the range is empty.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const first = Math.ceil(min / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Powers of ten covering [min, max] (both > 0), thinned to at most ~8 ticks. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const every = Math.max(1, Math.ceil((hi - lo + 1) / 8));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += every) out.push(Math.pow(10, e));
  return out;
}

/** A compact tick label: 0.001 → "0.001", 12000 → "12k", 1e-5 → "1e-5". */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = v / Math.pow(10, e);
    const ms = Math.abs(m - Math.round(m)) < 1e-9 ? String(Math.round(m)) : m.toFixed(1);
    return `${ms}e${e}`;
  }
  if (a >= 1e4) return `${+(v / 1000).toPrecision(3)}k`;
  return String(+v.toPrecision(4));
}

/**
 * Renders a line plot as a standalone SVG document.
 *
 * @example
 * ```ts
 * const svg = linePlotSvg({ title: 'loss', series: [{ name: 'train', y: [2.3, 1.1, 0.6] }] });
 * writeFileSync('loss.svg', svg);
 * ```
 */
export function linePlotSvg(opts: LinePlotOptions): string {
  const W = opts.width ?? 640;
  const H = opts.height ?? 360;
  const logY = opts.logY ?? false;
  const m = { left: 64, right: 16, top: opts.title ? 36 : 16, bottom: opts.xLabel ? 60 : 44 };
  const legendRows = opts.series.length;
  const legendH = legendRows > 0 ? 16 * legendRows + 8 : 0;
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const pts = opts.series.map((s) =>
    s.y
      .map((y, i) => ({ x: s.x ? s.x[i]! : i, y: y ?? NaN }))
      .map((p) => ({
        x: p.x,
        y: p.y,
        ok: Number.isFinite(p.x) && Number.isFinite(p.y) && (!logY || p.y > 0),
      })),
  );
  const good = pts.flat().filter((p) => p.ok);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
  );
  if (opts.title) parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`);
  if (good.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#666">no data</text>`, '</svg>');
    return parts.join('\n') + '\n';
  }
  let xMin = Math.min(...good.map((p) => p.x));
  let xMax = Math.max(...good.map((p) => p.x));
  let yMin = opts.yMin ?? Math.min(...good.map((p) => p.y));
  let yMax = opts.yMax ?? Math.max(...good.map((p) => p.y));
  if (xMax === xMin) {
    xMin -= 0.5;
    xMax += 0.5;
  }
  const tf = logY ? (v: number) => Math.log10(v) : (v: number) => v;
  if (logY) {
    yMin = Math.pow(10, Math.floor(Math.log10(yMin)));
    yMax = Math.pow(10, Math.ceil(Math.log10(yMax)));
    if (yMax === yMin) yMax = yMin * 10;
  } else if (yMax === yMin) {
    const d = Math.abs(yMin) > 0 ? Math.abs(yMin) * 0.1 : 1;
    yMin -= d;
    yMax += d;
  } else if (opts.yMin === undefined || opts.yMax === undefined) {
    const t = niceTicks(yMin, yMax, 5);
    const step = t.length > 1 ? t[1]! - t[0]! : 0;
    if (opts.yMin === undefined && step > 0) yMin = Math.min(yMin, Math.floor(yMin / step) * step);
    if (opts.yMax === undefined && step > 0) yMax = Math.max(yMax, Math.ceil(yMax / step) * step);
  }
  const sx = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = (y: number) => m.top + ph - ((tf(y) - tf(yMin)) / (tf(yMax) - tf(yMin))) * ph;
  const f = (v: number) => v.toFixed(1);

  // grid, ticks and labels
  const yt = logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, 5);
  for (const v of yt) {
    if (v < yMin - 1e-12 * Math.abs(yMax) || v > yMax + 1e-12 * Math.abs(yMax)) continue;
    const y = sy(v);
    parts.push(
      `<line x1="${m.left}" y1="${f(y)}" x2="${m.left + pw}" y2="${f(y)}" stroke="#e5e5e5"/>`,
      `<line x1="${m.left - 4}" y1="${f(y)}" x2="${m.left}" y2="${f(y)}" stroke="#333"/>`,
      `<text x="${m.left - 6}" y="${f(y + 4)}" text-anchor="end">${escapeXml(formatTick(v))}</text>`,
    );
  }
  for (const v of niceTicks(xMin, xMax, 6)) {
    const x = sx(v);
    parts.push(
      `<line x1="${f(x)}" y1="${m.top + ph}" x2="${f(x)}" y2="${m.top + ph + 4}" stroke="#333"/>`,
      `<text x="${f(x)}" y="${m.top + ph + 16}" text-anchor="middle">${escapeXml(formatTick(v))}</text>`,
    );
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (opts.xLabel) parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    parts.push(
      `<text x="14" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${m.top + ph / 2})">${escapeXml(opts.yLabel + (logY ? ' (log)' : ''))}</text>`,
    );
  }

  // lines
  opts.series.forEach((s, i) => {
    const color = s.color ?? PLOT_PALETTE[i % PLOT_PALETTE.length]!;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    let d = '';
    let pen = false;
    for (const p of pts[i]!) {
      if (!p.ok) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${f(sx(p.x))} ${f(sy(p.y))} `;
      pen = true;
    }
    if (d) parts.push(`<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="1.8"${dash}/>`);
    const markers = s.markers ?? pts[i]!.length <= 40;
    if (markers) {
      for (const p of pts[i]!) if (p.ok) parts.push(`<circle cx="${f(sx(p.x))}" cy="${f(sy(p.y))}" r="2.5" fill="${color}"/>`);
    }
  });

  // legend (top right, inside the plot)
  if (legendRows > 0) {
    const longest = Math.max(...opts.series.map((s) => s.name.length));
    const lw = Math.min(pw - 8, 28 + 6.5 * longest);
    const lx = m.left + pw - lw - 6;
    const ly = m.top + 6;
    parts.push(`<rect x="${f(lx)}" y="${ly}" width="${f(lw)}" height="${legendH}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`);
    opts.series.forEach((s, i) => {
      const color = s.color ?? PLOT_PALETTE[i % PLOT_PALETTE.length]!;
      const y = ly + 14 + 16 * i;
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
      parts.push(
        `<line x1="${f(lx + 6)}" y1="${y - 4}" x2="${f(lx + 22)}" y2="${y - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
        `<text x="${f(lx + 26)}" y="${y}">${escapeXml(s.name)}</text>`,
      );
    });
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
