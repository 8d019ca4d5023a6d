import { describe, expect, it } from 'vitest';
import type { RtoResult } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { computeRto } from './rto.js';

const INTERVAL_MS = 100;

/**
 * One op per 100 ms slot from t=0: `ok` succeeds and `X` fails (both take 1 ms), `T` times out after
 * `timeoutMs`, `_` is a slot where no op started.
 */
function history(spec: string, timeoutMs = 1000): OpRecord[] {
  const ops: OpRecord[] = [];
  spec
    .trim()
    .split(/\s+/)
    .forEach((token, slot) => {
      const startMs = slot * INTERVAL_MS;
      if (token === '_') return;
      const outcome = ({ ok: 'ok', X: 'fail', T: 'unknown' } as const)[token as 'ok' | 'X' | 'T'];
      if (outcome === undefined) throw new Error(`unknown token "${token}" in "${spec}"`);
      ops.push({
        id: ops.length,
        startMs,
        endMs: startMs + (outcome === 'unknown' ? timeoutMs : 1),
        outcome,
      });
    });
  return ops;
}

const op = (id: number, startMs: number, outcome: OpRecord['outcome'], durationMs = 1): OpRecord => ({
  id,
  startMs,
  endMs: startMs + durationMs,
  outcome,
});

const OUTAGE = 'ok ok ok X X X ok ok ok ok ok ok ok ok ok ok ok ok';
const FLAPPING = 'ok ok X X ok ok X ok ok ok X X ok ok ok ok ok ok ok ok';
const NEVER = Number.POSITIVE_INFINITY;

interface Row {
  name: string;
  spec: string;
  tInjectMs: number;
  stableForMs: number;
  deadlineMs?: number;
  timeoutMs?: number;
  expected: RtoResult;
}

const impactOf = (firstFailureMs: number, lastFailureMs: number, failedOps: number) => ({
  impact: true,
  firstFailureMs,
  lastFailureMs,
  failedOps,
});
const NO_IMPACT = { impact: false, firstFailureMs: null, lastFailureMs: null, failedOps: 0 };
const recovered = (tInjectMs: number, recoveredAtMs: number) => ({
  rtoMs: recoveredAtMs - tInjectMs,
  recoveredAtMs,
});
const NOT_RECOVERED = { rtoMs: null, recoveredAtMs: null };

const rows: Row[] = [
  {
    name: 'measures to the start of the first stable run after an outage',
    spec: OUTAGE,
    tInjectMs: 250,
    stableForMs: 500,
    expected: { ...recovered(250, 600), ...impactOf(300, 501, 3) },
  },
  {
    name: 'reports never recovered when the stable run starts after the deadline',
    spec: OUTAGE,
    tInjectMs: 250,
    stableForMs: 500,
    deadlineMs: 599,
    expected: { ...NOT_RECOVERED, ...impactOf(300, 501, 3) },
  },
  {
    name: 'counts a stable run that starts exactly at the deadline',
    spec: OUTAGE,
    tInjectMs: 250,
    stableForMs: 500,
    deadlineMs: 600,
    expected: { ...recovered(250, 600), ...impactOf(300, 501, 3) },
  },
  {
    name: 'reports never recovered when failures last to the end of the history',
    spec: 'ok ok ok X X X X X X X',
    tInjectMs: 250,
    stableForMs: 500,
    expected: { ...NOT_RECOVERED, ...impactOf(300, 901, 7) },
  },
  {
    name: 'ignores success bursts shorter than stableFor between failures (flapping)',
    spec: FLAPPING,
    tInjectMs: 150,
    stableForMs: 300,
    expected: { ...recovered(150, 1200), ...impactOf(200, 1101, 5) },
  },
  {
    name: 'counts a burst whose ops span exactly stableFor before the next failure',
    spec: FLAPPING,
    tInjectMs: 150,
    stableForMs: 200,
    expected: { ...recovered(150, 700), ...impactOf(200, 1101, 5) },
  },
  {
    name: 'measures to the first op after injection when nothing failed',
    spec: 'ok ok ok ok ok ok ok ok',
    tInjectMs: 250,
    stableForMs: 300,
    expected: { ...recovered(250, 300), ...NO_IMPACT },
  },
  {
    name: 'reports 0 when nothing failed and an op starts at the injection',
    spec: 'ok ok ok ok ok ok ok ok',
    tInjectMs: 300,
    stableForMs: 300,
    expected: { ...recovered(300, 300), ...NO_IMPACT },
  },
  {
    name: 'measures a single late failure to the stable run after it, not the successes before it',
    spec: 'ok ok ok ok ok ok ok ok ok ok ok ok ok X ok ok ok ok ok ok',
    tInjectMs: 250,
    stableForMs: 300,
    expected: { ...recovered(250, 1400), ...impactOf(1300, 1301, 1) },
  },
  {
    name: 'rejects candidates while an earlier op is still in flight and then times out',
    spec: 'ok ok X X T ok ok ok ok ok ok ok ok',
    timeoutMs: 350,
    tInjectMs: 150,
    stableForMs: 300,
    expected: { ...recovered(150, 800), ...impactOf(200, 750, 3) },
  },
  {
    name: 'counts an op in flight at injection that times out afterwards as impact seen at injection',
    spec: 'ok T ok ok ok ok ok ok',
    timeoutMs: 350,
    tInjectMs: 250,
    stableForMs: 100,
    expected: { ...recovered(250, 500), ...impactOf(250, 450, 1) },
  },
  {
    name: 'does not count a failure that ended before the injection',
    spec: 'X ok ok ok ok',
    tInjectMs: 50,
    stableForMs: 100,
    expected: { ...recovered(50, 100), ...NO_IMPACT },
  },
  {
    name: 'takes the first success after the first failure when stableFor is 0',
    spec: 'X X ok X ok ok',
    tInjectMs: 0,
    stableForMs: 0,
    expected: { ...recovered(0, 200), ...impactOf(0, 301, 3) },
  },
  {
    name: 'reports never recovered when the history ends before the run lasted stableFor',
    spec: 'X X ok ok ok',
    tInjectMs: 0,
    stableForMs: 500,
    expected: { ...NOT_RECOVERED, ...impactOf(0, 101, 2) },
  },
  {
    name: 'needs an op in the run, not a gap, to show the run lasted',
    spec: 'X ok ok _ _ _ _ X ok ok ok ok',
    tInjectMs: 0,
    stableForMs: 300,
    expected: { ...recovered(0, 800), ...impactOf(0, 701, 2) },
  },
  {
    name: 'reports never recovered and no impact when no op started after the injection',
    spec: 'ok ok',
    tInjectMs: 500,
    stableForMs: 100,
    expected: { ...NOT_RECOVERED, ...NO_IMPACT },
  },
];

describe('computeRto', () => {
  it.each(rows)('$name', ({ spec, tInjectMs, stableForMs, deadlineMs, timeoutMs, expected }) => {
    const opts = { tInjectMs, stableForMs, deadlineMs: deadlineMs ?? NEVER };
    expect(computeRto(history(spec, timeoutMs), opts)).toEqual(expected);
  });

  it('gives the same result whatever order the ops are recorded in', () => {
    const ops = history(FLAPPING);
    const opts = { tInjectMs: 150, stableForMs: 300, deadlineMs: NEVER };
    expect(computeRto([...ops].reverse(), opts)).toEqual(computeRto(ops, opts));
  });

  it('treats a run cut short by a failure just past stableFor as flapping', () => {
    // The op due at 400 started 1 ms late and failed: the successes from 100 lasted 200-300 ms, not 300.
    const ops = [0, 100, 200, 300, 401, 500, 600, 700, 800, 900].map((t, id) =>
      op(id, t, t === 0 || t === 401 ? 'fail' : 'ok'),
    );
    const result = computeRto(ops, { tInjectMs: 0, stableForMs: 300, deadlineMs: NEVER });
    expect(result.recoveredAtMs).toBe(500);
  });

  it('does not start a run at a time when another op starting then failed', () => {
    const ops = [
      op(0, 0, 'fail'),
      op(1, 100, 'ok'),
      op(2, 100, 'fail'),
      ...[200, 300, 400, 500].map((t, i) => op(3 + i, t, 'ok')),
    ];
    const result = computeRto(ops, { tInjectMs: 0, stableForMs: 200, deadlineMs: NEVER });
    expect(result.recoveredAtMs).toBe(200);
  });
});
