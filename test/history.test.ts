// Run history through the real CLI with real runs of the cheapest scenario (a 1 s freeze of the HTTP
// service, about 4 s each): the second run's report names the first as its previous run and
// baseline; a slower variant of the same scenario fails its relative bound naming the baseline;
// --drill writes drill.md; --no-history reads and writes nothing; bad options exit 2 at once.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/core/report-model.js';
import { readHistory as readWithWarnings } from '../src/history/index.js';
import { PROJECT_ROOT } from '../src/scenario/load.js';

const exec = promisify(execFile);
const BIN = join(PROJECT_ROOT, 'bin', 'chaos-harness.js');
const BASE = join(PROJECT_ROOT, 'test/fixtures/scenarios/history-pause.yaml');
const SLOWER = join(PROJECT_ROOT, 'test/fixtures/scenarios/slower/history-pause.yaml');

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'history-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * The CLI run from `root` without CHAOS_HARNESS_HISTORY (vitest.config.ts sets it), so its default
 * history file is <root>/runs/history.jsonl.
 */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { CHAOS_HARNESS_HISTORY: _, ...env } = process.env;
  try {
    const r = await exec(process.execPath, [BIN, ...args], { cwd: root, env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The history as the harness reads it; the warning about the line corrupted on purpose is expected. */
const readHistory = (file: string) => readWithWarnings(file, { onSkip: () => undefined });
const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const rtoOf = (r: RunReport) => r.targets.find((t) => t.metric === 'rto');

describe('run history', () => {
  it('compares each run with the earlier ones, and fails a slower variant against the baseline', async () => {
    const history = join(root, 'runs', 'history.jsonl');
    const first = await cli('run', BASE, '--out', join(root, 'r1'));
    expect(first.code, first.stderr).toBe(0);
    const r1 = report(join(root, 'r1'));
    expect(r1.history).toEqual({
      file: history,
      earlierRuns: 0,
      passingRuns: 0,
      previous: null,
      baseline: null,
    });
    expect(rtoOf(r1)).toMatchObject({ verdict: 'pass', regression: { verdict: 'inconclusive' } });
    expect(rtoOf(r1)?.note).toMatch(
      `no baseline yet: 0 passing runs in ${history}; the absolute bound decides`,
    );
    expect(readHistory(history).map((h) => h.runId)).toEqual([r1.facts.runId]);

    // A corrupt line costs a warning naming it, not the run.
    appendFileSync(history, 'not a record\n');
    const second = await cli('run', BASE, '--out', join(root, 'r2'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`warning: ${history}:2: skipped: not JSON (not a record)`);
    const r2 = report(join(root, 'r2'));
    expect(r2.history?.previous).toMatchObject({
      runId: r1.facts.runId,
      startedAt: r1.startedAt,
      verdict: 'pass',
      sameScenarioFile: true,
      rtoMs: [expect.closeTo(r1.iterations[0]?.rtoMs ?? 0, 2)],
    });
    expect(r2.history?.baseline).toMatchObject({ n: 1, runs: 5, runIds: [r1.facts.runId] });
    expect(rtoOf(r2)?.regression).toMatchObject({ baseline: { n: 1, runIds: [r1.facts.runId] } });
    const md = readFileSync(join(root, 'r2', 'report.md'), 'utf8');
    expect(md).toContain('## Compared with earlier runs');
    expect(md).toContain(
      `- Previous run: \`${r1.facts.runId}\`, started ${r1.startedAt}, PASS (exit code 0).`,
    );
    expect(md).toMatch(
      /\| RTO \(median of the iterations\) \| [\d.]+ m?s \| [\d.]+ m?s \| [\d.]+ m?s \| [+-]?[\d.]+% \|/,
    );

    // The same scenario name, frozen 4 s instead of 1 s: RTO ~4 s against twice the ~1 s median
    // (+100%); the runs before it would fail theirs only if their RTO doubled.
    const out = join(root, 'suite');
    const slower = await cli('suite', SLOWER, '--out', out, '--drill', '--operator', 'drill-lead');
    expect(slower.code, slower.stderr).toBe(1);
    const r3 = report(join(out, 'history-pause'));
    expect(r3.history?.previous?.runId).toBe(r2.facts.runId);
    expect(r3.history?.previous?.sameScenarioFile).toBe(false);
    expect(rtoOf(r3)).toMatchObject({ verdict: 'fail', pass: false, regression: { verdict: 'fail' } });
    expect(rtoOf(r3)?.note).toMatch(
      /^regression against baseline \(median of 2 runs: \d+ ms\): measured \d+ ms > \d+ ms \(\+100%\)/,
    );
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(
      'regression against baseline (median of 2 runs:',
    );
    // The suite's drill record, next to its summary; the run has none of its own.
    const drill = readFileSync(join(out, 'drill.md'), 'utf8');
    expect(existsSync(join(out, 'history-pause', 'drill.md'))).toBe(false);
    expect(drill).toContain('> **Incomplete until every field marked _to be filled_ is filled in**');
    expect(drill).toContain('| Operator | drill-lead |');
    expect(drill).toContain(
      `| history-pause | ${SLOWER} | ${r3.facts.scenario.sha256} | ${r3.facts.runId} | FAIL | no |`,
    );
    expect(drill).toMatch(
      /\| 1 \| investigate: rto [\d.]+ s, regression against baseline \(median of 2 runs: .+\(history-pause\) \| _to be filled_ \| _to be filled_ \| open \|/,
    );
    expect(readHistory(history).map((h) => [h.runId, h.verdict])).toEqual([
      [r1.facts.runId, 'pass'],
      [r2.facts.runId, 'pass'],
      [r3.facts.runId, 'fail'],
    ]);

    // --no-history: nothing read, nothing appended; the absolute bound decides; --drill on a run.
    const lone = await cli('run', BASE, '--out', join(root, 'r4'), '--no-history', '--drill');
    expect(lone.code, lone.stderr).toBe(0);
    const r4 = report(join(root, 'r4'));
    expect(r4.history).toBeUndefined();
    expect(rtoOf(r4)?.note).toMatch(/^no history was read \(--no-history\)/);
    expect(readFileSync(join(root, 'r4', 'drill.md'), 'utf8')).toContain('# DR drill record: history-pause');
    expect(readHistory(history)).toHaveLength(3);
  });

  it('refuses a history path it cannot append to, and a bad --baseline-runs, before anything starts', async () => {
    const dir = join(root, 'a-directory');
    mkdirSync(dir);
    const r = await cli('run', BASE, '--out', join(root, 'never'), '--history', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--history ${dir}: cannot append to it: not a regular file`);
    expect(existsSync(join(root, 'never', 'report.json'))).toBe(false);
    const n = await cli('suite', BASE, '--baseline-runs', '0');
    expect(n.code).toBe(2);
    expect(n.stderr).toContain("option '--baseline-runs <n>' argument '0' is invalid");
  });
});
