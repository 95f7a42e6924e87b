import { describe, expect, it } from 'vitest';
import { escapeXml, formatDuration, formatNumber, formatPercent, formatTick, linePlotSvg, logTicks, markdownTable, niceTicks } from '../src/index.js';

describe('niceTicks / logTicks', () => {
  it('picks multiples of 1, 2, 5 × 10^k inside the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map((v) => expect.closeTo(v, 12)));
    expect(niceTicks(3, 97, 5)).toEqual([20, 40, 60, 80]);
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });
  it('log ticks are powers of ten covering the data', () => {
    expect(logTicks(3e-5, 0.2)).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1].map((v) => expect.closeTo(v, 15)));
    expect(logTicks(0, 1)).toEqual([]);
  });
  it('formats tick labels compactly', () => {
    expect(formatTick(0.001)).toBe('0.001');
    expect(formatTick(1e-5)).toBe('1e-5');
    expect(formatTick(25000)).toBe('25k');
    expect(formatTick(0.25)).toBe('0.25');
  });
});

describe('linePlotSvg', () => {
  const pathOf = (svg: string, color: string) => {
    const m = svg.match(new RegExp(`<path d="([^"]+)" fill="none" stroke="${color}"`));
    return m ? m[1]!.split(/(?=[ML])/).map((s) => s.trim().slice(1).split(' ').map(Number)) : null;
  };
  it('maps data to the plot rectangle (linear axes)', () => {
    const svg = linePlotSvg({ series: [{ name: 'a', x: [0, 10], y: [0, 1], color: '#123456' }], width: 400, height: 300 });
    // margins: left 64, right 16, top 16, bottom 44 → plot x ∈ [64, 384], y ∈ [16, 256]
    expect(pathOf(svg, '#123456')).toEqual([
      [64, 256],
      [384, 16],
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('>a</text>'); // legend
  });
  it('log axis: decades are evenly spaced; non-positive and NaN points break the line', () => {
    const svg = linePlotSvg({ series: [{ name: 'r', y: [1, 0.1, 0.01, NaN, 0, 0.001], color: '#abcdef' }], logY: true, width: 400, height: 300 });
    const p = pathOf(svg, '#abcdef')!;
    // y range becomes [1e-3, 1]: three decades over 240 px → 80 px each
    expect(p.map((q) => q[1])).toEqual([16, 96, 176, 256]);
    expect(svg.match(/<path d="([^"]+)"/)![1]!.match(/M/g)!.length).toBe(2); // broken after the NaN
    expect(svg).toContain('>0.001</text>');
    expect(svg).toContain('>1</text>');
  });
  it('escapes text and draws every series in the legend', () => {
    const svg = linePlotSvg({
      title: 'a<b & "c"',
      series: [
        { name: 'x', y: [1, 2] },
        { name: 'y', y: [2, 1], dashed: true },
      ],
    });
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg.match(/stroke-dasharray/g)!.length).toBe(2); // line + legend swatch
    expect(escapeXml("'")).toBe('&apos;');
  });
  it('says "no data" for empty input', () => {
    expect(linePlotSvg({ series: [{ name: 'x', y: [NaN] }] })).toContain('no data');
  });
});

describe('markdown helpers', () => {
  it('builds an aligned table, numbers right-aligned, missing as an em dash', () => {
    const t = markdownTable(
      ['layer', 'params', 'acc'],
      [
        ['conv|2', 2416, 0.98123456],
        ['fc1', 48120, null],
      ],
    );
    expect(t).toBe(
      ['| layer   | params |    acc |', '| ------- | -----: | -----: |', '| conv\\|2 |   2416 | 0.9812 |', '| fc1     |  48120 |      — |', ''].join('\n'),
    );
  });
  it('formats numbers, percentages and durations', () => {
    expect(formatNumber(1234.5678)).toBe('1235');
    expect(formatNumber(0.000012346)).toBe('1.235e-5');
    expect(formatNumber(NaN)).toBe('—');
    expect(formatPercent(0.98765)).toBe('98.77%');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(754_000)).toBe('12 min 34 s');
  });
});
