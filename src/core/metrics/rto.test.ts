import { describe, expect, it } from 'vitest';
import type { RtoResult } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { summarizePhases } from './phases.js';
import { computeRto } from './rto.js';

const INTERVAL_MS = 100;

/** How long an `ok` or `X` op of `history` takes: a run's first success is seen this long after it started. */
const OP_MS = 1;

/**
 * One op per 100 ms slot from t=0: `ok` succeeds and `X` fails (both take OP_MS), `T` times out after
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
        endMs: startMs + (outcome === 'unknown' ? timeoutMs : OP_MS),
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
    name: 'measures to the first answer of the first stable run after an outage',
    spec: OUTAGE,
    tInjectMs: 250,
    stableForMs: 500,
    expected: { ...recovered(250, 600 + OP_MS), ...impactOf(300, 501, 3) },
  },
  {
    name: 'reports never recovered when the stable run answers first after the deadline',
    spec: OUTAGE,
    tInjectMs: 250,
    stableForMs: 500,
    deadlineMs: 600,
    expected: { ...NOT_RECOVERED, ...impactOf(300, 501, 3) },
  },
  {
    name: 'counts a stable run that answers first exactly at the deadline',
    spec: OUTAGE,
    tInjectMs: 250,
    stableForMs: 500,
    deadlineMs: 600 + OP_MS,
    expected: { ...recovered(250, 600 + OP_MS), ...impactOf(300, 501, 3) },
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
    expected: { ...recovered(150, 1200 + OP_MS), ...impactOf(200, 1101, 5) },
  },
  {
    name: 'counts a burst whose ops span exactly stableFor before the next failure',
    spec: FLAPPING,
    tInjectMs: 150,
    stableForMs: 200,
    expected: { ...recovered(150, 700 + OP_MS), ...impactOf(200, 1101, 5) },
  },
  {
    name: 'measures to the first op after injection when nothing failed',
    spec: 'ok ok ok ok ok ok ok ok',
    tInjectMs: 250,
    stableForMs: 300,
    expected: { ...recovered(250, 300 + OP_MS), ...NO_IMPACT },
  },
  {
    name: 'reports the op latency when nothing failed and an op starts at the injection',
    spec: 'ok ok ok ok ok ok ok ok',
    tInjectMs: 300,
    stableForMs: 300,
    expected: { ...recovered(300, 300 + OP_MS), ...NO_IMPACT },
  },
  {
    name: 'measures a single late failure to the stable run after it, not the successes before it',
    spec: 'ok ok ok ok ok ok ok ok ok ok ok ok ok X ok ok ok ok ok ok',
    tInjectMs: 250,
    stableForMs: 300,
    expected: { ...recovered(250, 1400 + OP_MS), ...impactOf(1300, 1301, 1) },
  },
  {
    name: 'rejects candidates while an earlier op is still in flight and then times out',
    spec: 'ok ok X X T ok ok ok ok ok ok ok ok',
    timeoutMs: 350,
    tInjectMs: 150,
    stableForMs: 300,
    expected: { ...recovered(150, 800 + OP_MS), ...impactOf(200, 750, 3) },
  },
  {
    name: 'counts an op in flight at injection that times out afterwards as impact seen at injection',
    spec: 'ok T ok ok ok ok ok ok',
    timeoutMs: 350,
    tInjectMs: 250,
    stableForMs: 100,
    expected: { ...recovered(250, 500 + OP_MS), ...impactOf(250, 450, 1) },
  },
  {
    name: 'does not count a failure that ended before the injection',
    spec: 'X ok ok ok ok',
    tInjectMs: 50,
    stableForMs: 100,
    expected: { ...recovered(50, 100 + OP_MS), ...NO_IMPACT },
  },
  {
    name: 'takes the first success after the first failure when stableFor is 0',
    spec: 'X X ok X ok ok',
    tInjectMs: 0,
    stableForMs: 0,
    expected: { ...recovered(0, 200 + OP_MS), ...impactOf(0, 301, 3) },
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
    expected: { ...recovered(0, 800 + OP_MS), ...impactOf(0, 701, 2) },
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
    expect(result.recoveredAtMs).toBe(500 + OP_MS);
  });

  it('does not start a run at a time when another op starting then failed', () => {
    const ops = [
      op(0, 0, 'fail'),
      op(1, 100, 'ok'),
      op(2, 100, 'fail'),
      ...[200, 300, 400, 500].map((t, i) => op(3 + i, t, 'ok')),
    ];
    const result = computeRto(ops, { tInjectMs: 0, stableForMs: 200, deadlineMs: NEVER });
    expect(result.recoveredAtMs).toBe(200 + OP_MS);
  });

  it('takes the earliest end in the run when a later op answers first', () => {
    // The run starts at 200 with an op that takes 250 ms; the one started at 300 answers at 302, first.
    const ops = [
      op(0, 100, 'fail'),
      op(1, 200, 'ok', 250),
      op(2, 300, 'ok', 2),
      op(3, 400, 'ok'),
      op(4, 500, 'ok'),
    ];
    const result = computeRto(ops, { tInjectMs: 0, stableForMs: 200, deadlineMs: NEVER });
    expect(result).toMatchObject({ recoveredAtMs: 302, rtoMs: 302 });
  });

  it('does not take the end of an ok op that started before the run', () => {
    // The op at 100 succeeds at 150, but the failure at 200 ends the run it began; the run starts at 300.
    const ops = [op(0, 0, 'fail'), op(1, 100, 'ok', 50), op(2, 200, 'fail'), op(3, 250, 'ok', 400)];
    ops.push(...[300, 400, 500, 600, 700].map((t, i) => op(4 + i, t, 'ok')));
    const result = computeRto(ops, { tInjectMs: 0, stableForMs: 200, deadlineMs: NEVER });
    // The run from 250 (its op held until 650) counts: nothing failed from 250 on. It answered first at 301.
    expect(result).toMatchObject({ recoveredAtMs: 301, rtoMs: 301 });
  });
});

describe('computeRto with operations held by the outage', () => {
  // The shape of a pg_auto_failover re-election (postgres-primary-crash-restart, 2026-12-02): one insert
  // every 20 ms with a 1 s timeout; after the kill, failures, successes for just under stableFor (the old
  // primary back), failures during the re-election, then inserts that start from 2280 ms and are all held until the new primary answers
  // at 3220 ms (latencies falling from 940 ms to 20 ms), then fast inserts.
  const INTERVAL = 20;
  const ANSWER_MS = 3220;
  const ops: OpRecord[] = [];
  for (let t = 0; t < 6000; t += INTERVAL) {
    const id = ops.length;
    if (t < 260 || (t >= 1260 && t < 2280)) ops.push(op(id, t, 'fail', 5));
    else if (t >= 2280 && t < ANSWER_MS) ops.push({ id, startMs: t, endMs: ANSWER_MS, outcome: 'ok' });
    else ops.push(op(id, t, 'ok', 2));
  }
  const opts = { tInjectMs: 0, stableForMs: 1000, deadlineMs: 60_000 };
  const rto = computeRto(ops, opts);

  it('recovers when the held inserts are answered, not when the first of them was sent', () => {
    // The start of the first held insert (2280 ms) put ~47 inserts held up to 940 ms in the recovered phase.
    expect(rto).toMatchObject({ recoveredAtMs: ANSWER_MS, rtoMs: ANSWER_MS, impact: true });
  });

  it('leaves the held inserts in the fault phase, so the recovered phase is fast', () => {
    const phases = summarizePhases(ops, {
      startMs: 0,
      tInjectMs: 0,
      recoveredAtMs: rto.recoveredAtMs,
      endMs: 6000,
    });
    expect(phases.fault.maxMs).toBe(ANSWER_MS - 2280);
    expect(phases.recovered).toMatchObject({ failed: 0, unknown: 0, p95Ms: 2, maxMs: 2 });
    expect(phases.recovered.ok).toBe((6000 - ANSWER_MS) / INTERVAL);
  });
});
