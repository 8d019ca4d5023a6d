import { describe, expect, it } from 'vitest';
import {
  duration,
  MAX_PROBE_RATE,
  MAX_TIMER_MS,
  MIN_PROBE_INTERVAL_MS,
  positiveDuration,
} from './duration.js';
import { probeEntry } from './schema.js';

const issue = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  r.success ? undefined : r.error?.issues.map((i) => i.message).join('; ');

describe('duration', () => {
  it.each([
    [MAX_TIMER_MS, MAX_TIMER_MS],
    ['596h', 596 * 3_600_000],
    ['0ms', 0],
  ])('accepts %j as %d ms', (v, ms) => {
    expect(duration.parse(v)).toBe(ms);
  });

  it.each([[MAX_TIMER_MS + 1], [1e12], ['597h'], ['99999999999999999999h']])(
    'rejects %j: a Node.js timer cannot hold it',
    (v) => {
      expect(issue(duration.safeParse(v))).toMatch(/at most 2147483647 ms \(24\.9 days/);
    },
  );

  it.each([
    ['NaN'],
    ['Infinity'],
    ['1e3ms'],
    ['-5s'],
    ['.5s'],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [-1],
  ])('rejects %j as not a duration', (v) => {
    expect(issue(duration.safeParse(v))).toMatch(/expected (a duration|number)|Invalid input/);
  });

  it('a timeout is at least 1 ms', () => {
    expect(issue(positiveDuration.safeParse('0s'))).toMatch(/at least 1 ms, got "0s"/);
    expect(positiveDuration.parse('1ms')).toBe(1);
  });
});

describe('probe interval and rate', () => {
  const probe = (extra: Record<string, unknown>) =>
    probeEntry.safeParse({ name: 'p', kind: 'http', ...extra });

  it(`accepts interval ${MIN_PROBE_INTERVAL_MS}ms and rate ${MAX_PROBE_RATE}`, () => {
    expect(probe({ interval: `${MIN_PROBE_INTERVAL_MS}ms` }).success).toBe(true);
    expect(probe({ rate: MAX_PROBE_RATE }).success).toBe(true);
  });

  it.each([[{ interval: '0ms' }], [{ interval: '4ms' }], [{ interval: 1 }]])('rejects %j', (extra) => {
    expect(issue(probe(extra))).toMatch(/at least 5 ms/);
  });

  it.each([[{ rate: 1e9 }], [{ rate: 201 }]])('rejects %j', (extra) => {
    expect(issue(probe(extra))).toMatch(/at most 200 operations per second/);
  });

  it.each([[{ rate: 0 }], [{ rate: -1 }]])('rejects %j', (extra) => {
    expect(issue(probe(extra))).toMatch(/at least 0.001 operations per second/);
  });
});
