// The metrics a target can name: what each measures, in which unit, and what a scenario needs to
// measure it. The scenario schema takes the names from here, the loader the units, and
// docs/kinds.md everything; how they are computed is src/core/evaluate.ts (DEFINITIONS).
import type { MetricUnit } from '../core/report-model.js';

export interface MetricInfo {
  unit: MetricUnit;
  /** What it measures, and how several iterations combine. */
  description: string;
  /** Without `phase:`, what it judges; absent when it takes no phase. */
  phase?: string;
  /** What the scenario must have for it to be measurable. */
  needs?: string;
  /** A target on it, as written in a scenario or targets.yaml. */
  example: string;
}

const WRITES = 'a probe that reads its writes back (postgres-write, redis-write, sqlite-trades, http-write)';

const STREAM = 'a probe that reads a stream back (eventbus)';

export const METRICS = {
  rto: {
    unit: 'ms',
    description:
      'time from t_inject to when the service was first seen answering again: the end of the first successful operation of the first run of successes lasting stableFor, on the probe (default the primary probe); the worst iteration. Iterations without impact have no RTO.',
    example: '{ metric: rto, max: 30s, source: runbook }',
  },
  mttr: {
    unit: 'ms',
    description: 'the mean of the iterations’ RTOs (min, median and max are reported too).',
    example: '{ metric: mttr, max: 2m, source: runbook }',
  },
  rpo: {
    unit: 'ms',
    description:
      'the time window of acknowledged writes lost (read back after recovery and missing); 0 when none is lost; the worst iteration.',
    needs: WRITES,
    example: '{ metric: rpo, probe: trades, max: 1h, source: runbook }',
  },
  'lost-writes': {
    unit: 'count',
    description: 'acknowledged writes missing on read-back, summed over the iterations.',
    needs: WRITES,
    example: '{ metric: lost-writes, max: 0, source: runbook }',
  },
  'lost-writes-after-fault': {
    unit: 'count',
    description:
      'writes acknowledged after t_inject and lost all the same (split brain), summed over the iterations.',
    needs: WRITES,
    example: '{ metric: lost-writes-after-fault, probe: stale-writes, max: 0, source: runbook }',
  },
  'error-rate': {
    unit: 'ratio',
    description:
      'failed and timed-out operations over all operations of the phase; the worst iteration. A bound is a fraction (0.01) or a percentage ("1%").',
    phase: 'the fault phase',
    example: '{ metric: error-rate, phase: recovered, max: "1%", source: runbook }',
  },
  'failed-ops': {
    unit: 'count',
    description:
      'failed and timed-out operations after the fault (with phase: in that phase), summed over the iterations.',
    phase: 'every operation after the fault',
    example: '{ metric: failed-ops, max: 0, source: runbook }',
  },
  'latency-p50': {
    unit: 'ms',
    description: 'the median latency of successful operations in the phase; the worst iteration.',
    phase: 'the steady phase',
    example: '{ metric: latency-p50, phase: fault, max: 50ms, source: runbook }',
  },
  'latency-p95': {
    unit: 'ms',
    description: 'the 95th percentile latency of successful operations in the phase; the worst iteration.',
    phase: 'the steady phase',
    example: '{ metric: latency-p95, phase: fault, max: 200ms, source: runbook }',
  },
  'latency-p99': {
    unit: 'ms',
    description: 'the 99th percentile latency of successful operations in the phase; the worst iteration.',
    phase: 'the steady phase',
    example: '{ metric: latency-p99, phase: recovered, max: 500ms, source: runbook }',
  },
  'latency-max': {
    unit: 'ms',
    description: 'the slowest successful operation in the phase; the worst iteration.',
    phase: 'the steady phase',
    example: '{ metric: latency-max, phase: steady, max: 1s, source: runbook }',
  },
  mttd: {
    unit: 'ms',
    description:
      'time from t_inject to the first detection a probe or the stack reported (a `detected` event); the worst iteration.',
    needs: 'a probe that reports detections (sqlite-integrity, sqlite-trades with readBack: true)',
    example: '{ metric: mttd, max: 30s, source: runbook }',
  },
  'duplicate-events': {
    unit: 'count',
    description:
      'extra copies of events in the stream (an event published twice counts 1), summed over the iterations.',
    needs: STREAM,
    example: '{ metric: duplicate-events, max: 0, source: runbook }',
  },
  'out-of-order-events': {
    unit: 'count',
    description:
      'events that stand in the stream after an event the probe only sent once this one was acknowledged, summed over the iterations.',
    needs: STREAM,
    example: '{ metric: out-of-order-events, max: 0, source: runbook }',
  },
  'drain-time': {
    unit: 'ms',
    description:
      "per buffer episode (the bus's status polls from the first with buffered events to the first with none), from Redis reachable again to the empty buffer: from the end of a timed fault (a healed partition) inside the episode, else from the first poll at which the bus reports reaching Redis again; the worst episode of the worst iteration. Not measured when an iteration never buffered.",
    needs: STREAM,
    example: '{ metric: drain-time, max: 30s, source: runbook }',
  },
  'recovery-time': {
    unit: 'ms',
    description:
      "from the first to the end of the last step of the iteration's recovery; the worst iteration.",
    needs: 'a recovery action, or in every iteration a fault that runs its own recovery (deploy)',
    example: '{ metric: recovery-time, max: 2m, source: runbook }',
  },
  'restore-rows-lost': {
    unit: 'count',
    description:
      'rows of the verified tables missing after the restore, compared with their content before the fault (a missing table loses all its rows), summed over the iterations.',
    needs: 'a recovery action that verifies what it restored (postgres-restore)',
    example: '{ metric: restore-rows-lost, max: 0, source: runbook }',
  },
  'restore-checksum-mismatches': {
    unit: 'count',
    description:
      'verified tables whose checksum (md5 of the ordered rows) after the restore differs from before the fault, or that are missing, summed over the iterations.',
    needs: 'a recovery action that verifies what it restored (postgres-restore)',
    example: '{ metric: restore-checksum-mismatches, max: 0, source: runbook }',
  },
} as const satisfies Record<string, MetricInfo>;

export type BaseMetric = keyof typeof METRICS;
export const BASE_METRICS = Object.keys(METRICS) as [BaseMetric, ...BaseMetric[]];

/** series-p95:<name> and series-max:<name>, on a probe's extra series. */
export const SERIES_METRICS: MetricInfo = {
  unit: 'count',
  description:
    "the 95th percentile or the maximum of a probe's extra series (e.g. lagBytes of postgres-replication-lag, damaged of sqlite-integrity), in the series' own unit; with phase: in that phase only.",
  phase: 'the whole run',
  needs: 'a probe that produces that series (probe:, default the primary probe)',
  example: '{ metric: series-p95:lagBytes, probe: lag, max: 1000000, source: runbook }',
};
