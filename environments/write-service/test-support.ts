// Shared by the write-service tests: run a scenario end to end through runScenario on a provider,
// write its reports, and read back what they say.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunReport } from '../../src/core/report-model.js';
import type { ProviderName } from '../../src/core/types.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { writeReports } from '../../src/report/index.js';
import { runScenario } from '../../src/run-scenario.js';
import { loadScenario, PROJECT_ROOT } from '../../src/scenario/load.js';

/** The parts of report.json these tests read. */
export interface WriteIteration {
  name: string;
  tInjectMs: number;
  rtoMs: number | null;
  probes: {
    rpo: { acknowledged: number; lost: number; lostSample: { key: string; ackMs: number }[] };
    atFault: {
      inFlight: number;
      ok: number;
      unknown: number;
      okLost: number;
      recentAcks: number;
      recentAcksLost: number;
    };
  }[];
}

export const fixtureScenario = (name: string) =>
  join(PROJECT_ROOT, 'test/fixtures/scenarios', `${name}.yaml`);

export async function runWriteScenario(
  root: string,
  scenario: string,
  runId: string,
  provider: ProviderName = 'local',
): Promise<{ report: RunReport; iterations: WriteIteration[]; log: string; md: string }> {
  const outDir = mkdtempSync(join(root, 'out-'));
  const report = await runScenario({ scenario: loadScenario(scenario), provider, outDir, runId });
  expect(markedProcesses(runId)).toEqual([]);
  await writeReports(report, report.runDir);
  const json = JSON.parse(readFileSync(join(report.runDir, 'report.json'), 'utf8'));
  return {
    report,
    iterations: json.iterations,
    log: readFileSync(join(report.runDir, 'api.log'), 'utf8'),
    md: readFileSync(join(report.runDir, 'report.md'), 'utf8'),
  };
}

/** The counts the draining service logs when SIGTERM reaches it, one entry per SIGTERM. */
export function sigtermLines(log: string): { requests: number; unpersisted: number }[] {
  return [
    ...log.matchAll(
      /SIGTERM: no longer accepting; (\d+) request\(s\) in flight, (\d+) write\(s\) not yet persisted/g,
    ),
  ].map((m) => ({ requests: Number(m[1]), unpersisted: Number(m[2]) }));
}
