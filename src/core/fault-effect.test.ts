import { describe, expect, it } from 'vitest';
import { addedRoundTripMs, checkLatencyEffects, noEffectMessage } from './fault-effect.js';
import type { FaultRecord, IterationResult, LatencySummary } from './report-model.js';

function phase(p50Ms: number | null, ok = 100): LatencySummary {
  return {
    count: ok,
    ok,
    failed: 0,
    unknown: 0,
    errorRate: 0,
    p50Ms,
    p95Ms: p50Ms,
    p99Ms: p50Ms,
    maxMs: p50Ms,
    durationMs: 1000,
  };
}

function latencyFault(latency: number, extra: Record<string, unknown> = {}): FaultRecord {
  return {
    kind: 'network-latency',
    description: `${latency} ms latency`,
    reversible: true,
    injectedAtMs: 1000,
    details: {
      type: 'latency',
      attributes: { latency, jitter: 0 },
      direction: 'downstream',
      toxicity: 1,
      ...extra,
    },
  };
}

function iteration(
  faults: FaultRecord[],
  probes: [string, number | null, number | null, number?][],
): IterationResult {
  return {
    index: 0,
    tInjectMs: 1000,
    rtoMs: 0,
    recoveredAtMs: null,
    impact: false,
    mttdMs: null,
    faults,
    recovery: { mode: 'automatic', steps: [] },
    probes: probes.map(([probe, steady, fault, ok]) => ({
      probe,
      kind: 'http',
      intervalMs: 20,
      timeoutMs: 1000,
      phases: { steady: phase(steady), fault: phase(fault, ok), recovered: phase(steady) },
      rto: { rtoMs: 0, recoveredAtMs: null, impact: false, failedOps: 0 },
    })) as IterationResult['probes'],
  };
}

describe('latency effect of a fault that fails nothing', () => {
  it('counts the toxic once per round trip, twice with direction both, and not for other faults', () => {
    expect(addedRoundTripMs(latencyFault(10))).toBe(10);
    expect(addedRoundTripMs(latencyFault(10, { direction: 'both' }))).toBe(20);
    expect(addedRoundTripMs(latencyFault(10, { toxicity: 0.5 }))).toBeNull();
    expect(
      addedRoundTripMs({ ...latencyFault(10), details: { type: 'bandwidth', attributes: { rate: 1 } } }),
    ).toBeNull();
  });

  it('is seen when some probe’s fault-phase p50 rose by half the added latency', () => {
    const it0 = iteration(
      [latencyFault(10)],
      [
        ['other', 3, 3.5],
        ['writes', 3, 8.1],
      ],
    );
    expect(checkLatencyEffects([it0])).toBeUndefined();
    expect(it0.latencyEffect).toMatchObject({ probe: 'writes', addedMs: 10, neededMs: 5, seen: true });
  });

  it('is missing when no probe rose enough, and the message names the figures', () => {
    const it0 = iteration([latencyFault(100)], [['reads', 2, 2.4]]);
    expect(checkLatencyEffects([it0])).toBe(it0);
    expect(it0.latencyEffect).toMatchObject({ seen: false, riseMs: expect.closeTo(0.4, 5) });
    expect(noEffectMessage(it0)).toMatch(
      /iteration 1: it adds 100 ms per round trip.*at least 50 ms.*probe "reads": p50 2 ms steady, 2\.4 ms during the fault \(\+0\.4 ms\)/,
    );
  });

  it('is missing, not seen, when the fault phase has too few successful operations to tell', () => {
    const it0 = iteration([latencyFault(100)], [['reads', 2, 200, 3]]);
    expect(checkLatencyEffects([it0])).toBe(it0);
    expect(it0.latencyEffect).toMatchObject({ probe: null, seen: false });
    expect(noEffectMessage(it0)).toMatch(/no probe had 5 successful operations/);
  });

  it('is seen in a series in milliseconds when the toxic is on a link no operation crosses', () => {
    const it0 = iteration([latencyFault(100)], [['lag', 2, 2.1]]);
    const series = (p50: number) => ({ count: 20, p50, p95: p50, max: p50 });
    (it0.probes[0] as { series?: unknown }).series = {
      lagBytes: { steady: series(0), fault: series(90_000), recovered: series(0) },
      lagMs: { steady: series(1), fault: series(104), recovered: series(1) },
    };
    expect(checkLatencyEffects([it0])).toBeUndefined();
    expect(it0.latencyEffect).toMatchObject({ probe: 'lag (series lagMs)', riseMs: 103, seen: true });
  });

  it('leaves iterations without a latency toxic alone', () => {
    const it0 = iteration([], [['reads', 2, 2]]);
    expect(checkLatencyEffects([it0])).toBeUndefined();
    expect(it0.latencyEffect).toBeUndefined();
  });
});
