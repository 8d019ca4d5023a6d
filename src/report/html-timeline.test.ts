import { describe, expect, it } from 'vitest';
import type { ProbeTimeline } from '../core/report-model.js';
import { timelineReport } from './fixtures/timelines.js';
import { displayBuckets, MAX_POINTS, probeCharts } from './html-timeline.js';

function timeline(n: number, over: Partial<ProbeTimeline> = {}): ProbeTimeline {
  const ramp = Array.from({ length: n }, (_, i) => i);
  return {
    startMs: 1000,
    endMs: 1000 + n * 100,
    bucketMs: 100,
    started: ramp.map(() => 10),
    ok: ramp.map((i) => (i % 2 === 0 ? 10 : 7)),
    failed: ramp.map((i) => (i % 2 === 0 ? 0 : 2)),
    unknown: ramp.map((i) => (i % 2 === 0 ? 0 : 1)),
    p50Ms: ramp.map((i) => (i === 3 ? null : i)),
    p95Ms: ramp.map((i) => (i === 3 ? null : 2 * i)),
    ...over,
  };
}

describe('displayBuckets', () => {
  it('draws each bucket as it is when the probe is at least twice as fast as a bucket', () => {
    const d = displayBuckets(timeline(4), 20, 1200);
    expect(d).toEqual({
      k: 1,
      xs: [-150, -50, 50, 150],
      widthMs: [100, 100, 100, 100],
      started: [10, 10, 10, 10],
      ok: [10, 7, 10, 7],
      bad: [0, 3, 0, 3],
      p50Ms: [0, 1, 2, null],
      p95Ms: [0, 2, 4, null],
    });
  });

  it('groups buckets to two intervals of a slow probe: counts add up, latency keeps the highest', () => {
    // 250 ms interval: 5 buckets a point; 12 buckets give 3 points, the last of 2 buckets.
    const d = displayBuckets(timeline(12), 250, 1000);
    expect(d.k).toBe(5);
    expect(d.widthMs).toEqual([500, 500, 200]);
    expect(d.started).toEqual([50, 50, 20]);
    expect(d.ok).toEqual([44, 41, 17]);
    expect(d.bad).toEqual([6, 9, 3]);
    expect(d.p95Ms).toEqual([8, 18, 22]);
  });

  it(`never draws more than ${MAX_POINTS} points`, () => {
    const n = 36_000; // an hour in 100 ms buckets
    const d = displayBuckets(timeline(n), 10, 1000);
    expect(d.xs.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(d.started.reduce((a, b) => a + b, 0)).toBe(10 * n);
  });
});

describe('probeCharts', () => {
  it('shades the fault window from the inject mark to the recovered mark when recovery closed it', () => {
    const report = timelineReport();
    const it0 = report.iterations[0]!;
    const svg = probeCharts(it0, it0.probes[0]!).text.split('</svg>')[0]!;
    const rect = svg.match(/<rect class="fault-window" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/)!;
    const markX = (cls: string) =>
      Number(svg.match(new RegExp(`m-${cls}"><title>[^<]*</title><line x1="([\\d.]+)"`))![1]);
    expect(Number(rect[1])).toBeCloseTo(markX('inject'), 0);
    expect(Number(rect[1]) + Number(rect[2])).toBeCloseTo(markX('recovered'), 0);
    expect(markX('detected')).toBeGreaterThan(markX('inject'));
    expect(markX('detected')).toBeLessThan(markX('recovered'));
  });

  it('breaks the error-rate line where no operation started, instead of drawing 0%', () => {
    const report = timelineReport();
    const it0 = report.iterations[0]!;
    const p = it0.probes[0]!;
    const t = p.timeline!;
    for (const i of [40, 41, 42]) {
      t.started[i] = 0;
      t.ok[i] = 0;
      t.failed[i] = 0;
      t.unknown[i] = 0;
    }
    const errorChart = probeCharts(it0, p).text.split('</svg>')[1]!;
    const d = errorChart.match(/data-series="error rate" d="([^"]*)"/)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
  });
});
