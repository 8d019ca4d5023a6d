// One line of the run history: what a run was and the figures later runs are compared with. The zod
// schema is what reading accepts, so a line from a newer harness with more fields still reads.

import { z } from 'zod';
import type { RunReport, TargetResult } from '../core/report-model.js';
import { runFigures } from '../core/run-figures.js';
import { cleanNumber } from '../report/json.js';

export const HISTORY_SCHEMA_VERSION = 1;

const ms = z.number().nullable();
const phases = z.object({ steady: ms, fault: ms, recovered: ms });

export const historyRecord = z.looseObject({
  schemaVersion: z.literal(HISTORY_SCHEMA_VERSION),
  runId: z.string().min(1),
  scenario: z.looseObject({ name: z.string().min(1), file: z.string(), sha256: z.string().nullable() }),
  provider: z.string().min(1),
  /** The harness's git commit, when it ran from a checkout. */
  commit: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  verdict: z.enum(['pass', 'fail', 'inconclusive', 'error']),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  /** How the run compares with its scenario's `expect:` (null when it declares none). */
  expectation: z
    .enum([
      'as-expected',
      'failed-for-another-reason',
      'expected-to-fail-but-passed',
      'unexpected-verdict',
      'error',
    ])
    .nullable(),
  rtoMs: z.array(ms),
  rtoMedianMs: ms,
  mttrMs: ms,
  p95Ms: z.record(z.string(), phases),
  lostWrites: z.object({ lost: z.number(), acknowledged: z.number() }).nullable(),
  targets: z.array(
    z.looseObject({
      metric: z.string(),
      phase: z.enum(['steady', 'fault', 'recovered']).optional(),
      probe: z.string().optional(),
      measured: z.number().nullable(),
      pass: z.boolean(),
      /** Not passed only because its relative bound had no baseline yet (and it has no absolute one). */
      noBaseline: z.literal(true).optional(),
    }),
  ),
});

export type HistoryRecord = z.infer<typeof historyRecord>;

/** No float noise in the file: the report's rule (three decimals from 1 up). */
function clean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === 'number' ? cleanNumber(v) : v));
}

/** Measured, and inconclusive only because there was no baseline to judge its relative bound by. */
const waitsForBaseline = (t: TargetResult) =>
  t.verdict === 'inconclusive' && t.measured !== null && t.regression?.baseline === null && t.bound === null;

export function historyRecordOf(report: RunReport): HistoryRecord {
  const f = runFigures(report);
  return clean({
    schemaVersion: HISTORY_SCHEMA_VERSION,
    runId: report.facts.runId,
    scenario: {
      name: report.scenario.name,
      file: report.scenario.file,
      sha256: report.facts.scenario.sha256,
    },
    provider: report.environment.provider,
    commit: report.facts.harness.commit,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    verdict: report.verdict,
    exitCode: report.exitCode,
    expectation: report.expectation?.outcome ?? null,
    ...f,
    targets: report.targets.map((t) => ({
      metric: t.metric,
      ...(t.phase ? { phase: t.phase } : {}),
      ...(t.probe ? { probe: t.probe } : {}),
      measured: t.measured,
      pass: t.pass,
      ...(waitsForBaseline(t) ? { noBaseline: true as const } : {}),
    })),
  });
}
