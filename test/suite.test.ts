// `chaos-harness suite` and `merge` through the real CLI with real runs: one folder per scenario
// plus summary.json, summary.md and a junit.xml xmllint accepts; the worst exit code; --bail; and
// two shards merged giving the same summary as one run.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/scenario/load.js';
import type { SuiteSummary } from '../src/suite/summary.js';
import { startCli } from '../src/testing/cli.js';
import { waitFor } from '../src/testing/wait.js';

const exec = promisify(execFile);
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'suite-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PASSING = 'http-service-crash';
const FAILING = 'test/fixtures/scenarios/never-recovers.yaml';
const AFTER_FAILING = 'test/fixtures/scenarios/pause-repeat.yaml';

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(process.execPath, ['bin/chaos-harness.js', ...args], { cwd: PROJECT_ROOT });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

const summaryOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
/** What must not differ between one run and merged shards: everything but timings and paths. */
const stable = (s: SuiteSummary) => ({
  exitCode: s.exitCode,
  selected: s.selection.selected,
  scenarios: s.scenarios.map(({ wallMs: _w, report: _r, ...rest }) => rest),
  notRun: s.notRun,
});

describe('chaos-harness suite', () => {
  it('runs every scenario, exits with the worst code, and shards merged equal one run', async () => {
    const all = join(root, 'all');
    const one = await cli('suite', PASSING, FAILING, '--out', all, '--operator', 'drill-lead');
    expect(one.code, one.out).toBe(1);
    // The facts an auditor asks for, in report.json and as junit properties.
    const facts = JSON.parse(readFileSync(join(all, 'http-service-crash', 'report.json'), 'utf8')).facts;
    expect(facts).toMatchObject({
      operator: 'drill-lead',
      provider: 'local',
      harness: { name: 'chaos-harness', commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
      scenario: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      host: { cpus: expect.any(Number), kernel: expect.stringMatching(/^Linux /) },
      versions: { node: process.version },
    });
    expect(facts.host.loadAverageEnd).toHaveLength(3);
    const runJunit = readFileSync(join(all, 'http-service-crash', 'junit.xml'), 'utf8');
    for (const p of ['harness.commit', 'scenario.sha256', 'operator', 'host.kernel', 'version.node'])
      expect(runJunit).toContain(`<property name="${p}" value="`);
    expect(readFileSync(join(all, 'http-service-crash', 'report.md'), 'utf8')).not.toMatch(
      /[0-9]\.[0-9]{6,}/,
    );
    const summary = summaryOf(all);
    expect(summary.scenarios.map((e) => [e.name, e.verdict, e.exitCode])).toEqual([
      ['http-service-crash', 'pass', 0],
      ['never-recovers', 'fail', 1],
    ]);
    expect(summary.scenarios[1]?.failing).toEqual([
      'rto fail: never reached (did not recover within the recovery timeout), bound ≤ 5 s',
    ]);
    expect(readFileSync(join(all, 'http-service-crash', 'report.json'), 'utf8')).toContain(
      '"verdict": "pass"',
    );
    const md = readFileSync(join(all, 'summary.md'), 'utf8');
    expect(md).toContain('# Suite: 1 of 2 scenarios behaved as declared (exit code 1)');
    expect(md).toContain('| never-recovers | FAIL | no | 1 |');
    const junit = readFileSync(join(all, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(2);
    const lint = spawnSync('xmllint', ['--noout', join(all, 'junit.xml')], { encoding: 'utf8' });
    expect(lint.error, 'xmllint (Debian libxml2-utils, installed by scripts/setup.sh)').toBeUndefined();
    expect(lint.status, lint.stderr).toBe(0);

    const [s1, s2, merged] = ['s1', 's2', 'merged'].map((d) => join(root, d)) as [string, string, string];
    expect((await cli('suite', PASSING, FAILING, '--shard', '1/2', '--out', s1)).code).toBe(0);
    expect((await cli('suite', PASSING, FAILING, '--shard', '2/2', '--out', s2)).code).toBe(1);
    expect(summaryOf(s1).scenarios.map((e) => e.name)).toEqual(['http-service-crash']);
    const m = await cli('merge', s1, s2, '--out', merged);
    expect(m.code, m.out).toBe(1);
    expect(stable(summaryOf(merged))).toEqual(stable(summary));
    expect(summaryOf(merged).selection.shards).toEqual(['1/2', '2/2']);
    expect(readFileSync(join(merged, 'junit.xml'), 'utf8').match(/<testsuite /g)).toHaveLength(2);
  });

  it('stops after a run that did not behave as declared with --bail, and names what it skipped', async () => {
    const out = join(root, 'bail');
    const r = await cli('suite', FAILING, AFTER_FAILING, '--bail', '--out', out);
    expect(r.code, r.out).toBe(1);
    const s = summaryOf(out);
    expect(s.scenarios.map((e) => e.name)).toEqual(['never-recovers']);
    expect(s.notRun).toEqual([{ name: 'pause-repeat', file: AFTER_FAILING, reason: 'bail' }]);
  });

  it('on SIGINT tears the current run down, writes the summary with the rest not run, and exits 2', async () => {
    const out = join(root, 'interrupted');
    const run = startCli(['suite', PASSING, AFTER_FAILING, '--out', out]);
    await waitFor('the first fault', () => (/inject: /.test(run.output()) ? true : undefined), 30_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(2);
    const s = summaryOf(out);
    expect(s.exitCode).toBe(2);
    expect(s.scenarios.map((e) => [e.name, e.verdict, e.error?.code])).toEqual([
      ['http-service-crash', 'error', 'INTERRUPTED'],
    ]);
    expect(s.notRun).toEqual([{ name: 'pause-repeat', file: AFTER_FAILING, reason: 'interrupted' }]);
  });

  it('rejects a bad shard, an unknown scenario and an empty selection before running anything', async () => {
    expect(await cli('suite', '--shard', '3/2')).toMatchObject({ code: 2 });
    expect((await cli('suite', '--shard', '3/2')).out).toContain('expected i/n with 1 ≤ i ≤ n');
    const unknown = await cli('suite', 'no-such-scenario');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.out).toContain('no scenario "no-such-scenario" in scenarios/');
    const empty = await cli('suite', '--tag', 'no-such-tag');
    expect(empty.code).toBe(2);
    expect(empty.out).toContain('suite: nothing to run (0 scenario(s) selected)');
  });
});
