import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../../scenario/load.js';
import { computeSchedule, summarizePhases } from '../metrics.js';
import type { IterationResult, ProbeIterationResult } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { behindSchedule } from './build-report.js';

const INTERVAL_MS = 20;

/** 500 ops at 20 ms from t=0, started `lag(k)` ms after their slot; each takes 3 ms (or hangs 1 s). */
function ops(lag: (k: number) => number, hangs: (k: number) => boolean = () => false): OpRecord[] {
  return Array.from({ length: 500 }, (_, k) => {
    const scheduledMs = k * INTERVAL_MS;
    const startMs = scheduledMs + lag(k);
    const hung = hangs(k);
    return {
      id: k,
      scheduledMs,
      startMs,
      endMs: startMs + (hung ? 1000 : 3),
      outcome: hung ? 'unknown' : 'ok',
    } satisfies OpRecord;
  });
}

function probe(name: string, history: OpRecord[]): ProbeIterationResult {
  return {
    probe: name,
    kind: 'synthetic',
    intervalMs: INTERVAL_MS,
    timeoutMs: 1000,
    phases: summarizePhases([], { startMs: 0, tInjectMs: 5000, endMs: 500 * INTERVAL_MS }),
    rto: {
      rtoMs: null,
      recoveredAtMs: null,
      impact: false,
      firstFailureMs: null,
      lastFailureMs: null,
      failedOps: 0,
    },
    schedule: computeSchedule(history, { intervalMs: INTERVAL_MS, endMs: 500 * INTERVAL_MS }),
  };
}

function iteration(index: number, ...probes: ProbeIterationResult[]): IterationResult {
  return {
    index,
    tInjectMs: 5000,
    rtoMs: null,
    recoveredAtMs: null,
    impact: false,
    mttdMs: null,
    faults: [],
    recovery: { mode: 'automatic', steps: [] },
    probes,
  };
}

const target = (metric: string, probeName?: string): ResolvedTarget => ({
  metric,
  unit: 'ms',
  bound: 1000,
  boundText: '1s',
  source: 'test',
  ...(probeName ? { probe: probeName } : {}),
});

const onTime = () => 0.4;
// 7 of 500 ops (1.4%) started 45 ms late: a 45 ms stall of the harness, seven times.
const slipping = (k: number) => (k % 80 === 0 ? 45 : 0.4);
// 5 of 500 (exactly 1%): not more than 1%.
const atTheLimit = (k: number) => (k % 100 === 0 ? 45 : 0.4);

const sc = { targets: [target('rto')], primaryProbe: 'writes' };

describe('behindSchedule', () => {
  it('passes a primary probe that kept its schedule, however long its operations hung', () => {
    const hung = ops(onTime, (k) => k >= 200 && k < 300);
    expect(behindSchedule(sc, [iteration(0, probe('writes', hung))])).toBeUndefined();
  });

  it('lets exactly 1% of late operations through, not more', () => {
    expect(behindSchedule(sc, [iteration(0, probe('writes', ops(atTheLimit)))])).toBeUndefined();
    expect(behindSchedule(sc, [iteration(0, probe('writes', ops(slipping)))])?.code).toBe(
      'PROBE_BEHIND_SCHEDULE',
    );
  });

  it('names the probe, the share late, the interval, and the iteration, p99 lag and rate', () => {
    const err = behindSchedule(sc, [iteration(1, probe('writes', ops(slipping)))]);
    expect(err?.probe).toBe('writes');
    expect(err?.message).toBe(
      'probe "writes" fell behind its schedule: 1.40% of its 500 scheduled operations (7) started more than one interval (20 ms) late or never started (at most 1% may); in iteration 2: p99 schedule lag 45 ms, max 45 ms, 50 of 50 operations/s achieved. Its figures are not trustworthy (coordinated omission), so the run is an ERROR of the instrument, not a verdict on the system under test',
    );
  });

  it("judges the share over the run's operations, and names the worst iteration", () => {
    // 7 late of 1000 over two iterations: 0.7%, although the first alone had 1.4%.
    const twice = [iteration(0, probe('writes', ops(slipping))), iteration(1, probe('writes', ops(onTime)))];
    expect(behindSchedule(sc, twice)).toBeUndefined();
    const bad = [iteration(0, probe('writes', ops(slipping))), iteration(1, probe('writes', ops(slipping)))];
    expect(behindSchedule(sc, bad)?.message).toMatch(
      /^probe "writes" fell behind its schedule: 1\.40% of its 1000 scheduled operations \(14\) .*; worst in iteration 1: p99/,
    );
  });

  it('judges a probe a target names, and ignores one no target judges', () => {
    const two = { targets: [target('rto'), target('lost-writes', 'stale')], primaryProbe: 'writes' };
    const named = iteration(0, probe('writes', ops(onTime)), probe('stale', ops(slipping)));
    expect(behindSchedule(two, [named])?.probe).toBe('stale');
    const side = iteration(0, probe('writes', ops(onTime)), probe('lag', ops(slipping)));
    expect(behindSchedule(two, [side])).toBeUndefined();
  });

  it('does not judge the schedule of a kind that keeps its own (no slots recorded)', () => {
    const unslotted = ops(slipping).map(({ scheduledMs: _, ...o }) => o);
    const it0 = iteration(0, probe('load', unslotted));
    expect(it0.probes[0]?.schedule?.lagP99Ms).toBeNull();
    expect(behindSchedule({ targets: [target('rto')], primaryProbe: 'load' }, [it0])).toBeUndefined();
  });
});
