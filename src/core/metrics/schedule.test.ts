import { describe, expect, it } from 'vitest';
import type { ProbeSchedule } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { computeSchedule } from './schedule.js';

const INTERVAL_MS = 10;

/**
 * One token per 10 ms slot from t=1000: a number is how many ms after its slot the op started
 * (each takes 2 ms), `_` a slot no op was issued for, `H` an op that started on time and hung
 * for 5 s (a timeout), `S` an op issued for its slot at the start of the next token that is a
 * number (a catch-up burst: all start together).
 */
function history(spec: string): OpRecord[] {
  const tokens = spec.trim().split(/\s+/);
  const ops: OpRecord[] = [];
  const slotMs = (k: number) => 1000 + k * INTERVAL_MS;
  tokens.forEach((t, k) => {
    if (t === '_') return;
    const scheduledMs = slotMs(k);
    let startMs: number;
    if (t === 'H') startMs = scheduledMs;
    else if (t === 'S') {
      const j = tokens.findIndex((u, i) => i > k && /^\d/.test(u));
      startMs = slotMs(j) + Number(tokens[j]);
    } else startMs = scheduledMs + Number(t);
    const endMs = startMs + (t === 'H' ? 5000 : 2);
    ops.push({ id: ops.length, scheduledMs, startMs, endMs, outcome: t === 'H' ? 'unknown' : 'ok' });
  });
  // Records arrive as ops end, not in slot order.
  return ops.sort((a, b) => a.endMs - b.endMs);
}

const onTime = (n: number, lag = '0.5') => Array.from({ length: n }, () => lag).join(' ');

interface Row {
  name: string;
  spec: string;
  /** Default: one interval after the last slot, so every slot is judged. */
  endMs?: number;
  expected: Partial<ProbeSchedule>;
}

const rows: Row[] = [
  {
    name: 'every op on time: no lag beyond timer jitter, nothing late',
    spec: onTime(100),
    expected: { scheduled: 100, issued: 100, missed: 0, lagP50Ms: 0.5, lagP99Ms: 0.5, late: 0, lateShare: 0 },
  },
  {
    name: 'ops that hang for their whole timeout were still started on time',
    spec: `${onTime(20)} H H H H H ${onTime(20)}`,
    expected: { scheduled: 45, missed: 0, lagMaxMs: 0.5, late: 0 },
  },
  {
    // A stall of 95 ms: the ten slots due meanwhile all start at once, 95 ms to 5 ms late; those
    // more than 20 ms late (the floor, above the 10 ms interval) count: 95 to 25 ms.
    name: 'a catch-up burst after a stall: each op as late as its own slot',
    spec: `${onTime(10)} S S S S S S S S S 5 ${onTime(80)}`,
    expected: { scheduled: 100, issued: 100, missed: 0, lagMaxMs: 95, late: 8, lateShare: 0.08 },
  },
  {
    name: 'one op more than an interval and the floor late out of 100: 1%',
    spec: `${onTime(50)} 22 ${onTime(49)}`,
    expected: { scheduled: 100, late: 1, lateShare: 0.01, lagMaxMs: 22, lagP99Ms: 0.5 },
  },
  {
    name: 'more than one 10 ms interval but not the 20 ms floor late is on time',
    spec: `${onTime(50)} 15 ${onTime(49)}`,
    expected: { late: 0, lagMaxMs: 15 },
  },
  {
    name: 'exactly one interval late is not more than one interval late',
    spec: `${onTime(50)} 10 ${onTime(49)}`,
    expected: { late: 0, lagMaxMs: 10 },
  },
  {
    // Slots 10..14 were skipped; slot 15's op started on time, so slot 10 would have been 50 ms late.
    name: 'skipped slots are missed, and late by the time until the next op started',
    spec: `${onTime(10)} _ _ _ _ _ ${onTime(85, '0')}`,
    expected: { scheduled: 100, issued: 95, missed: 5, lagMaxMs: 50, late: 5, lateShare: 0.05 },
  },
  {
    name: 'slots due after the last op and before the end are missed, late until the end',
    spec: onTime(90),
    endMs: 1000 + 100 * INTERVAL_MS,
    // Slots 90..99 are judged (due at least an interval before the end) and never started.
    expected: { scheduled: 100, issued: 90, missed: 10, late: 10, lagMaxMs: 100 },
  },
  {
    name: 'a slot due less than an interval before the end is not judged yet',
    spec: onTime(100),
    endMs: 1000 + 100 * INTERVAL_MS - 5,
    expected: { scheduled: 99, issued: 99, missed: 0, late: 0 },
  },
];

describe('computeSchedule', () => {
  it.each(rows)('$name', ({ spec, endMs, expected }) => {
    const ops = history(spec);
    const slots = spec.trim().split(/\s+/).length;
    const s = computeSchedule(ops, { intervalMs: INTERVAL_MS, endMs: endMs ?? 1000 + slots * INTERVAL_MS });
    expect(s).toMatchObject({ requestedPerSec: 100, ...expected });
  });

  it('gives the achieved rate over the span from the first slot to the end', () => {
    // 50 ops in 1 s at a 10 ms interval (every other slot skipped): 50/s of 100/s requested.
    const ops = history(Array.from({ length: 100 }, (_, k) => (k % 2 ? '_' : '0')).join(' '));
    const s = computeSchedule(ops, { intervalMs: INTERVAL_MS, endMs: 2000 });
    expect(s.achievedPerSec).toBe(50);
    expect(s).toMatchObject({ scheduled: 100, issued: 50, missed: 50, late: 50, lateShare: 0.5 });
  });

  it('leaves out ops started after the end (issued while the probe was being stopped)', () => {
    const ops = history(onTime(100));
    const s = computeSchedule(ops, { intervalMs: INTERVAL_MS, endMs: 1500 });
    expect(s).toMatchObject({ scheduled: 50, issued: 50, missed: 0, late: 0 });
    expect(s.achievedPerSec).toBeCloseTo(100, 0);
  });

  it('gives rates only, no lag, for ops that record no slot (a kind with its own scheduler)', () => {
    const ops = history(onTime(100)).map(({ scheduledMs: _, ...op }) => op);
    const s = computeSchedule(ops, { intervalMs: INTERVAL_MS, endMs: 2000.5 });
    expect(s).toMatchObject({ achievedPerSec: 100, scheduled: 0, issued: 100, late: 0, lateShare: 0 });
    expect([s.lagP50Ms, s.lagP99Ms, s.lagMaxMs]).toEqual([null, null, null]);
  });

  it('handles a probe that recorded nothing', () => {
    expect(computeSchedule([], { intervalMs: INTERVAL_MS, endMs: 1000 })).toMatchObject({
      achievedPerSec: 0,
      scheduled: 0,
      lagP99Ms: null,
      lateShare: 0,
    });
  });
});
