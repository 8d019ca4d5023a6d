// The nightly workflow's own command lines, run here: its `suite` step once per shard (TAG=smoke,
// SHARDS=2 in place of the nightly values), its `merge` and `summary` steps on their output, in a
// scratch directory laid out as the runner's checkout. Read from the YAML, so they cannot drift.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../src/scenario/load.js';
import type { SuiteSummary } from '../src/suite/summary.js';

const exec = promisify(execFile);
const WORKFLOW = join(PROJECT_ROOT, '.github', 'workflows', 'nightly-resilience.yml');

interface Step {
  id?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  env: { TAG: string; SHARDS: number };
  jobs: Record<string, { steps: Step[]; strategy?: { matrix: { shard: number[] } }; needs?: string }>;
}

const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;

function step(job: string, id: string): Step & { run: string } {
  const s = workflow.jobs[job]?.steps.find((x) => x.id === id);
  if (!s?.run) throw new Error(`${WORKFLOW}: expected a step with id "${id}" and a run: in job "${job}"`);
  // Anything GitHub would expand must come in through the environment, where this test sets it.
  expect(s.run, `${job}.${id}`).not.toContain('${{');
  return s as Step & { run: string };
}

let cwd: string;
beforeAll(() => {
  // The runner's checkout: ./bin/chaos-harness.js, and the outputs under the working directory.
  cwd = mkdtempSync(join(tmpdir(), 'nightly-workflow-'));
  symlinkSync(join(PROJECT_ROOT, 'bin'), join(cwd, 'bin'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function bash(script: string, env: Record<string, string>) {
  try {
    const r = await exec('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env: { ...process.env, ...env },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('nightly-resilience workflow', () => {
  it('runs nightly and on demand, one job per shard, then a merge job after them, keeping the history', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(workflow.env.TAG).toBe('nightly');
    const shards = workflow.jobs.suite?.strategy?.matrix.shard;
    expect(shards).toEqual(Array.from({ length: workflow.env.SHARDS }, (_, i) => i + 1));
    expect(workflow.jobs.merge?.needs).toBe('suite');
    const uses = (job: string) => workflow.jobs[job]?.steps.map((s) => s.uses?.split('@')[0]);
    expect(uses('suite')).toContain('actions/upload-artifact');
    expect(uses('merge')).toContain('actions/download-artifact');
    // The history goes from the merge job of one night to the suite jobs of the next.
    expect(uses('suite')).toContain('actions/cache/restore');
    expect(uses('merge')).toEqual(expect.arrayContaining(['actions/cache/restore', 'actions/cache/save']));
  });

  it('its suite, merge and summary steps give one merged summary and junit.xml of the shards', async () => {
    const env = { TAG: 'smoke', SHARDS: '2' };
    const suite = step('suite', 'suite');
    // Two nights: the second one's shards start from the history the first one's merge saved
    // (the cache steps restore and save `history/` between them on GitHub).
    for (const night of [1, 2]) {
      rmSync(join(cwd, 'out'), { recursive: true, force: true });
      rmSync(join(cwd, 'merged'), { recursive: true, force: true });
      for (const shard of ['1', '2']) {
        const r = await bash(suite.run, { ...env, SHARD: shard });
        expect(r.code, r.out).toBe(0);
      }
      const merge = await bash(step('merge', 'merge').run, env);
      expect(merge.code, merge.out).toBe(0);
      const history = await bash(step('merge', 'history').run, env);
      expect(history.code, history.out).toBe(0);
      // One line per scenario run, each night's appended once, whatever shard ran it.
      const lines = readFileSync(join(cwd, 'history', 'history.jsonl'), 'utf8')
        .trim()
        .split('\n');
      const names = lines.map((l) => (JSON.parse(l) as { scenario: { name: string } }).scenario.name).sort();
      expect(names).toEqual(
        Array.from({ length: night }, () => ['http-service-crash', 'http-service-ignored-signal'])
          .flat()
          .sort(),
      );
      expect(readFileSync(join(cwd, 'merged', 'history.jsonl'), 'utf8')).toBe(`${lines.join('\n')}\n`);
    }
    // The second night compared with the first.
    const second = readFileSync(join(cwd, 'out', 'shard-1', 'http-service-crash', 'report.md'), 'utf8');
    expect(second).toMatch(/1 earlier run\(s\) of `http-service-crash`/);
    const stepSummary = join(cwd, 'step-summary.md');
    writeFileSync(stepSummary, '');
    const summary = await bash(step('merge', 'summary').run, { ...env, GITHUB_STEP_SUMMARY: stepSummary });
    expect(summary.code, summary.out).toBe(0);

    const merged = JSON.parse(readFileSync(join(cwd, 'merged', 'summary.json'), 'utf8')) as SuiteSummary;
    expect(merged.selection.shards).toEqual(['1/2', '2/2']);
    expect(merged.selection.tags).toEqual(['smoke']);
    expect(merged.scenarios.map((e) => [e.name, e.exitCode])).toEqual([
      ['http-service-crash', 0],
      ['http-service-ignored-signal', 0],
    ]);
    const md = readFileSync(join(cwd, 'merged', 'summary.md'), 'utf8');
    expect(md).toContain('# Suite: 2 of 2 scenarios behaved as declared (exit code 0)');
    expect(readFileSync(stepSummary, 'utf8')).toBe(md);
    const junit = join(cwd, 'merged', 'junit.xml');
    expect(readFileSync(junit, 'utf8').match(/<testsuite /g)).toHaveLength(2);
    const lint = spawnSync('xmllint', ['--noout', junit], { encoding: 'utf8' });
    expect(lint.error, 'xmllint (Debian libxml2-utils, installed by scripts/setup.sh)').toBeUndefined();
    expect(lint.status, lint.stderr).toBe(0);
  });
});
