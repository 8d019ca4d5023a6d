import { describe, expect, it } from 'vitest';
import { lineChart, niceStep } from './html-chart.js';

const chart = (values: (number | null)[], over: Partial<Parameters<typeof lineChart>[0]> = {}) =>
  lineChart({
    kind: 'test',
    title: 'A <test> chart',
    xs: values.map((_, i) => i * 100),
    xRange: [0, (values.length - 1) * 100],
    formatX: (x) => `${x} ms`,
    formatY: (y) => `${y}/s`,
    series: [{ name: 'ok', cls: 's-ok', values }],
    ...over,
  }).text;

describe('niceStep', () => {
  it.each([
    [10, 4, 5],
    [100, 4, 50],
    [7, 8, 1],
    [0.9, 4, 0.5],
    [136_000, 8, 20_000],
    [0, 4, 1],
  ])('steps a span of %d in at most %d ticks by %d', (span, ticks, step) => {
    expect(niceStep(span, ticks)).toBeCloseTo(step, 9);
  });
});

describe('lineChart', () => {
  it('draws one line per run of values, a dot for a lone one, and breaks at null', () => {
    const d = chart([1, 2, null, 3, null, null, 4, 5, 6]).match(/ d="([^"]*)"/)![1]!;
    expect(d.match(/M/g)).toHaveLength(3);
    expect(d).toMatch(/^M[\d.]+ [\d.]+L[\d.]+ [\d.]+M[\d.]+ [\d.]+h0M/);
  });

  it('puts round y ticks over the largest value, or up to a fixed top', () => {
    const ticks = (svg: string) => [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    expect(ticks(chart([0, 37, 12]))).toEqual(['0/s', '10/s', '20/s', '30/s', '40/s']);
    expect(ticks(chart([0, 0.2], { yMax: 1 }))).toEqual(['0/s', '0.5/s', '1/s']);
  });

  it('leaves out a mark outside the x range, and clips the shaded window to it', () => {
    const svg = chart([1, 2, 3], {
      shade: { from: -500, to: 100, title: 'window' },
      marks: [
        { label: 'in', x: 100, cls: 'm-in', title: 'in' },
        { label: 'out', x: 900, cls: 'm-out', title: 'out' },
      ],
    });
    expect(svg).toContain('<g class="mark m-in">');
    expect(svg).not.toContain('m-out');
    expect(svg).toMatch(/<rect class="fault-window" x="64" y="16" width="512"/);
  });

  it('escapes its title and labels', () => {
    expect(chart([1])).toContain('<title>A &lt;test&gt; chart</title>');
  });
});
