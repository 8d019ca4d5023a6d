import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../scenario/load.js';
import { evaluateTargets, MIN_OPS, runVerdict } from './evaluate.js';
import { computeMttr, computeRto, summarizePhases } from './metrics.js';
import type { IterationResult, MetricUnit } from './report-model.js';
import type { OpRecord } from './types.js';

const T_INJECT = 10_000;
const END = 20_000;

/** Ops every `stepMs` over [fromMs, toMs), ok unless they start inside `down`. */
function history(fromMs: number, toMs: number, stepMs: number, down?: [number, number]): OpRecord[] {
  const out: OpRecord[] = [];
  for (let t = fromMs, id = 0; t < toMs; t += stepMs, id++) {
    const failed = down !== undefined && t >= down[0] && t < down[1];
    out.push({ id, startMs: t, endMs: t + 2, outcome: failed ? 'fail' : 'ok', key: `k${id}` });
  }
  return out;
}

/** One iteration measured from an op history exactly as the runner does (minus the I/O). */
function iteration(ops: OpRecord[], present?: (op: OpRecord) => boolean): IterationResult {
  const raw = computeRto(ops, { tInjectMs: T_INJECT, stableForMs: 1000, deadlineMs: T_INJECT + 60_000 });
  const rto = raw.impact ? raw : { ...raw, rtoMs: null, recoveredAtMs: null };
  const acked = ops.filter((o) => o.outcome === 'ok');
  return {
    index: 0,
    tInjectMs: T_INJECT,
    rtoMs: rto.rtoMs,
    recoveredAtMs: rto.recoveredAtMs,
    impact: rto.impact,
    mttdMs: null,
    faults: [],
    recovery: { mode: 'automatic', steps: [] },
    probes: [
      {
        probe: 'writes',
        kind: 'synthetic',
        intervalMs: 100,
        timeoutMs: 500,
        phases: summarizePhases(ops, {
          startMs: 0,
          tInjectMs: T_INJECT,
          recoveredAtMs: raw.recoveredAtMs,
          endMs: END,
        }),
        rto,
        ...(present
          ? {
              rpo: {
                acknowledged: acked.length,
                lost: acked.filter((o) => !present(o)).length,
                lostSample: [],
                lostAfterInject: acked.filter((o) => !present(o) && o.startMs >= T_INJECT).length,
                unknownPresent: 0,
                unknownAbsent: 0,
                rpoMs: 0,
              },
            }
          : {}),
      },
    ],
  };
}

const target = (metric: string, max: number, extra: Partial<ResolvedTarget> = {}): ResolvedTarget => {
  const unit: MetricUnit =
    metric === 'error-rate' ? 'ratio' : /rto|mttr|latency/.test(metric) ? 'ms' : 'count';
  return { metric, unit, bound: max, boundText: String(max), source: 'test', ...extra };
};

function judge(targets: ResolvedTarget[], its: IterationResult[], expectImpact = true) {
  const mttr = computeMttr(its.filter((it) => it.impact).map((it) => it.rtoMs));
  return evaluateTargets(targets, its, mttr, { primaryProbe: 'writes', expectImpact });
}

describe('evaluateTargets', () => {
  it('does not PASS a target over an empty phase: the probe never recovered, so "recovered" holds nothing', () => {
    // Down from the injection to the end: the recovered phase is empty and its error rate "0 %".
    const it0 = iteration(history(0, END, 100, [T_INJECT, END]));
    expect(it0.probes[0]?.phases.recovered.count).toBe(0);
    const [errorRate] = judge([target('error-rate', 0, { phase: 'recovered' })], [it0]);
    // The system never got there: that is a failure of the system, not "0 % errors".
    expect(errorRate).toMatchObject({ verdict: 'fail', measured: null, pass: false });
    expect(errorRate?.note).toMatch(/never recovered, so there is no recovered phase/);
  });

  it.each([
    ['error-rate', 0.5],
    ['latency-p95', 1_000_000],
    ['failed-ops', 1_000_000],
  ] as const)('does not PASS %s over a fault phase too short to hold an operation', (metric, max) => {
    // One failed op right at the injection, then successes: the fault phase lasts one interval.
    const it0 = iteration(history(0, END, 100, [T_INJECT, T_INJECT + 100]));
    expect(it0.probes[0]?.phases.fault.count).toBeLessThan(MIN_OPS);
    const [t] = judge([target(metric, max, { phase: 'fault' })], [it0]);
    expect(t).toMatchObject({ verdict: 'inconclusive', measured: null, pass: false });
    expect(t?.note).toMatch(
      /^not measured: the fault phase holds \d operation\(s\) in iteration 1 \(at least 5 needed\)$/,
    );
  });

  it('does not PASS lost-writes when fewer than the minimum writes were acknowledged', () => {
    const it0 = iteration(history(0, 400, 100, [T_INJECT, END]), () => true);
    const [t] = judge([target('lost-writes', 0)], [it0]);
    expect(t).toMatchObject({ verdict: 'inconclusive' });
    expect(t?.note).toMatch(/acknowledged writes holds 4 operation/);
  });

  it('measures a phase that holds enough operations', () => {
    const it0 = iteration(history(0, END, 100, [T_INJECT, T_INJECT + 2000]));
    const [errorRate, latency] = judge(
      [target('error-rate', 0, { phase: 'recovered' }), target('latency-p95', 100, { phase: 'steady' })],
      [it0],
    );
    expect(errorRate).toMatchObject({ verdict: 'pass', measured: 0 });
    expect(latency?.verdict).toBe('pass');
  });

  it('gives no RTO figure for an iteration without impact, and never PASSes it when impact is expected', () => {
    const it0 = iteration(history(0, END, 100));
    expect(it0.rtoMs).toBeNull();
    expect(it0.impact).toBe(false);
    const results = judge([target('rto', 60_000), target('mttr', 60_000)], [it0]);
    expect(results.map((r) => r.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(runVerdict(results, true)).toBe('inconclusive');
  });

  it('counts an RTO of 0 when no impact was the expectation (expectImpact: false)', () => {
    const [rto] = judge([target('rto', 60_000)], [iteration(history(0, END, 100))], false);
    expect(rto).toMatchObject({
      verdict: 'pass',
      measured: 0,
      note: 'no observable impact in any iteration',
    });
  });

  it('fails, not "not measured", an RTO that was never reached', () => {
    const [rto] = judge([target('rto', 60_000)], [iteration(history(0, END, 100, [T_INJECT, END]))]);
    expect(rto).toMatchObject({ verdict: 'fail', measured: null });
    expect(rto?.note).toMatch(/did not recover/);
  });
});
