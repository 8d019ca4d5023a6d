// The tutorial's examples (docs/your-own-service.md) as a new user runs them: every file passes
// `validate`, and the negative control, the crash and the latency scenario run end to end through
// the real CLI against real nginx and kv processes, with the verdicts the tutorial shows.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markedProcesses } from '../src/providers/local/run-registry.js';
import { PROJECT_ROOT } from '../src/scenario/load.js';

const exec = promisify(execFile);
const SCENARIOS = 'examples/scenarios';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'examples-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await exec(process.execPath, ['bin/chaos-harness.js', ...args], { cwd: PROJECT_ROOT });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

/** Runs one example scenario; returns the exit code and its report.json. */
async function runExample(name: string) {
  const out = join(root, name);
  const r = await cli(`${SCENARIOS}/${name}.yaml`, '--out', out);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  expect(markedProcesses(report.facts.runId)).toEqual([]);
  return { ...r, report };
}

const targetOf = (
  report: { targets: { metric: string; phase?: string }[] },
  metric: string,
  phase?: string,
) =>
  report.targets.find((t) => t.metric === metric && t.phase === phase) as
    | { verdict: string; measured: number }
    | undefined;

describe('examples/ (the tutorial)', () => {
  it('has only files that validate accepts', async () => {
    const files = [
      ...readdirSync(join(PROJECT_ROOT, SCENARIOS)).map((f) => `${SCENARIOS}/${f}`),
      'examples/kv-behind-nginx/environment.yaml',
      'examples/kv-behind-nginx/targets.yaml',
    ];
    expect(files.length).toBeGreaterThanOrEqual(8);
    const r = await cli('validate', ...files);
    expect(r.code, r.out).toBe(0);
    for (const f of files) expect(r.out).toContain(`${f}: valid`);
  });

  it('catches the write path that acknowledges before it persists, listing the lost ids', async () => {
    const { code, out, report } = await runExample('kv-ack-before-persist');
    expect(code, out).toBe(0);
    expect(report.verdict).toBe('fail');
    expect(report.expectation).toMatchObject({ met: true });
    expect(targetOf(report, 'lost-writes')?.verdict).toBe('fail');
    expect(targetOf(report, 'rto')?.verdict).toBe('pass');
    const it0 = report.iterations[0];
    const rpo = it0.probes[0].rpo;
    // About 50 writes were acknowledged in the 1 s steady state, all still in kv1's memory.
    expect(rpo.lost).toBeGreaterThan(20);
    expect(rpo.lostSample[0].key).toMatch(/^writes-[0-9a-f]{6}-\d+$/);
    expect(rpo.lostSample.every((l: { ackMs: number }) => l.ackMs < it0.tInjectMs)).toBe(true);
  });

  it('loses no write through nginx when one backend is SIGKILLed', async () => {
    const { code, out, report } = await runExample('kv-crash');
    expect(code, out).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(targetOf(report, 'lost-writes')).toMatchObject({ verdict: 'pass', measured: 0 });
    expect(report.events.some((e: { type: string }) => e.type === 'service-restart')).toBe(true);
  });

  it('raises p95 through nginx by the injected 100 ms, within 20 %', async () => {
    const { code, out, report } = await runExample('kv-latency');
    expect(code, out).toBe(0);
    expect(report.verdict).toBe('pass');
    const steady = targetOf(report, 'latency-p95', 'steady')?.measured as number;
    const fault = targetOf(report, 'latency-p95', 'fault')?.measured as number;
    expect(fault - steady).toBeGreaterThanOrEqual(80);
    expect(fault - steady).toBeLessThanOrEqual(120);
    // The harness saw the effect it needs before a latency fault can pass.
    expect(report.iterations[0].latencyEffect).toMatchObject({ addedMs: 100, seen: true, probe: 'reads' });
  });

  it('does not pass a latency fault on a proxy the workload does not cross, though every target holds', async () => {
    const out = join(root, 'latency-off-path');
    const r = await cli('test/fixtures/scenarios/latency-off-path.yaml', '--out', out);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(markedProcesses(report.facts.runId)).toEqual([]);
    const verdicts = report.targets.map((t: { verdict: string }) => t.verdict);
    expect(verdicts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(verdicts)).toEqual(new Set(['pass']));
    expect(report.verdict, r.out).toBe('inconclusive');
    expect(report.error.code).toBe('NO_IMPACT');
    expect(report.error.message).toMatch(/adds 100 ms per round trip.*at least 50 ms.*probe "reads"/);
    expect(report.iterations[0].latencyEffect).toMatchObject({ seen: false, probe: 'reads' });
    expect(r.code).toBe(1);
  });
});
