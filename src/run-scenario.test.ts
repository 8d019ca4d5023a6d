import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kinds } from './core/run/deps.js';
import type { AnyProbe, RunningProbe } from './core/types.js';
import { builtinProbes } from './probes/index.js';
import { markedProcesses } from './providers/local/run-registry.js';
import { renderSummary } from './report/console.js';
import { writeReports } from './report/index.js';
import { renderJunit } from './report/junit.js';
import { renderMarkdown } from './report/markdown.js';
import { runScenario } from './run-scenario.js';
import { loadScenario, PROJECT_ROOT } from './scenario/load.js';

const fixture = (name: string) => join(PROJECT_ROOT, 'test/fixtures/scenarios', `${name}.yaml`);

// Report dirs and the run records live in one temp dir, removed at the end.
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'runner-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

async function run(ref: string, runId: string, kinds?: Partial<Kinds>) {
  const out = mkdtempSync(join(root, 'out-'));
  const report = await runScenario({ scenario: loadScenario(ref), outDir: out, runId, kinds });
  // Nothing the run started may outlive it.
  expect(markedProcesses(runId)).toEqual([]);
  return report;
}

describe('runScenario', () => {
  it('measures an RTO between the restart delay and delay + readiness + 2 probe intervals', async () => {
    const report = await run('http-service-crash', 'runner-test-crash');
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    expect(report.exitCode).toBe(0);
    const it0 = report.iterations[0]!;
    const restartDelayMs = 2000;
    const readyMs = report.environment.info.bringUpMs as number;
    expect(it0.impact).toBe(true);
    expect(it0.rtoMs).toBeGreaterThanOrEqual(restartDelayMs);
    expect(it0.rtoMs).toBeLessThanOrEqual(restartDelayMs + readyMs + 2 * report.probeIntervalMs);
    expect(report.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ready', 'inject', 'service-restart', 'recovered', 'done']),
    );
  });

  it('ends INCONCLUSIVE, never PASS, when the fault had no observable effect', async () => {
    const report = await run('http-service-ignored-signal', 'runner-test-ignored');
    expect(report.verdict).toBe('inconclusive');
    // The scenario exists to show exactly this, and declares it: it behaved as intended.
    expect(report.expectation).toMatchObject({ verdict: 'inconclusive', met: true });
    expect(report.exitCode).toBe(0);
    expect(report.iterations[0]?.impact).toBe(false);
    expect(report.iterations[0]?.rtoMs).toBeNull();
    expect(report.targets.find((t) => t.metric === 'rto')?.verdict).toBe('inconclusive');
  });

  it('fails the RTO target when the service never comes back within the recovery timeout', async () => {
    const report = await run(fixture('never-recovers'), 'runner-test-never');
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('fail');
    expect(report.exitCode).toBe(1);
    expect(report.iterations[0]?.rtoMs).toBeNull();
    expect(report.targets[0]).toMatchObject({ metric: 'rto', verdict: 'fail', measured: null });
  });

  it('reports ERROR and injects nothing when the steady state is not reached', async () => {
    const report = await run(fixture('steady-state-fails'), 'runner-test-steady');
    expect(report.verdict).toBe('error');
    expect(report.exitCode).toBe(2);
    expect(report.error?.message).toMatch(/steady state not reached/);
    expect(report.events.some((e) => e.type === 'inject')).toBe(false);
  });

  it('computes MTTR over repeated iterations', async () => {
    const report = await run(fixture('pause-repeat'), 'runner-test-repeat');
    expect(report.iterations).toHaveLength(2);
    for (const it of report.iterations) {
      // Paused for 1 s: the service cannot answer before the pause ends.
      expect(it.rtoMs).toBeGreaterThanOrEqual(900);
      expect(it.rtoMs).toBeLessThan(3000);
    }
    expect(report.mttr?.n).toBe(2);
    expect(existsSync(report.runDir)).toBe(true);
    // Requests to the frozen service hang until their timeout, yet each started on its slot: the
    // schedule is of the start, so the pause made nothing late and the run was judged.
    for (const it of report.iterations) {
      const s = it.probes[0]?.schedule;
      expect(it.probes[0]?.phases.fault.unknown).toBeGreaterThan(5);
      expect(s?.lateShare).toBeLessThanOrEqual(0.01);
    }
  });

  describe('a probe whose client breaks mid-run', () => {
    /**
     * The real http probe, whose client the test breaks 1.5 s after it starts (during the steady
     * state or the fault): `stall` stops it issuing operations, as a client that ended does;
     * `report` keeps it issuing (every request failing, like a closed client) but it says why.
     */
    function breaking(how: 'stall' | 'report'): Partial<Kinds> {
      const http = builtinProbes.http as AnyProbe;
      const probe: AnyProbe = {
        params: http.params,
        async start(ctx, params, common) {
          const real: RunningProbe = await http.start(ctx, params, common);
          let broken = false;
          const timer = setTimeout(() => {
            broken = true;
            if (how === 'stall') void real.stop();
          }, 1500);
          return {
            ...real,
            failure: () => (broken && how === 'report' ? 'its client ended (broken by the test)' : undefined),
            async [Symbol.asyncDispose]() {
              clearTimeout(timer);
              await real[Symbol.asyncDispose]();
            },
          };
        },
      };
      return { probes: { ...builtinProbes, http: probe } };
    }

    it.each(['stall', 'report'] as const)(
      'ends ERROR naming the probe (%s), not FAIL of the service',
      async (how) => {
        const report = await run(fixture('probe-client-dies'), `runner-test-probe-${how}`, breaking(how));
        expect(report.verdict).toBe('error');
        expect(report.exitCode).toBe(2);
        expect(report.error?.code).toBe('PROBE_FAILED');
        expect(report.error?.message).toMatch(/probe "api" stopped working/);
        expect(report.error?.message).toMatch(
          how === 'stall' ? /issued no operation|fell behind/ : /broken by the test/,
        );
        expect(report.targets).toEqual([]);
        expect(report.events.some((e) => e.type === 'probe-failed' && e.data?.probe === 'api')).toBe(true);
      },
    );
  });

  describe('a probe that falls behind its schedule', () => {
    /** Busy for `ms`, as a synchronous chunk of harness work would be. */
    const block = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {}
    };
    /**
     * The real http probe, with the harness's event loop starved by a 120 ms synchronous block
     * every 500 ms while it runs: about 2 of every 10 of its 50 ms slots start more than an
     * interval late. Every slot is still issued (caught up), so the live watchdog sees a full
     * issue count; the schedule lag is what shows the slip.
     */
    function starved(): Partial<Kinds> {
      const http = builtinProbes.http as AnyProbe;
      const probe: AnyProbe = {
        params: http.params,
        async start(ctx, params, common) {
          const real: RunningProbe = await http.start(ctx, params, common);
          const hog = setInterval(() => block(120), 500);
          return {
            ...real,
            async stop() {
              clearInterval(hog);
              await real.stop();
            },
            async [Symbol.asyncDispose]() {
              clearInterval(hog);
              await real[Symbol.asyncDispose]();
            },
          };
        },
      };
      return { probes: { ...builtinProbes, http: probe } };
    }

    it('ends ERROR PROBE_BEHIND_SCHEDULE, judges no target, and every report names the schedule lag', async () => {
      const report = await run('http-service-crash', 'runner-test-behind', starved());
      expect(report.verdict).toBe('error');
      expect(report.exitCode).toBe(2);
      expect(report.targets).toEqual([]);
      expect(report.error?.code).toBe('PROBE_BEHIND_SCHEDULE');
      expect(report.error?.message).toMatch(
        /^probe "api" fell behind its schedule: [\d.]+% of its \d+ scheduled operations \(\d+\) started more than one interval \(50 ms\) late or never started \(at most 1% may\); in iteration 1: p99 schedule lag [\d.]+ ms/,
      );
      const s = report.iterations[0]?.probes[0]?.schedule;
      expect(s?.lateShare).toBeGreaterThan(0.01);
      // A slot falls due at most 50 ms into each 120 ms block, so it starts at least 70 ms late.
      expect(s?.lagMaxMs).toBeGreaterThan(60);
      expect(report.events.some((e) => e.type === 'probe-behind-schedule' && e.data?.probe === 'api')).toBe(
        true,
      );
      const line =
        /primary probe "api" \(every 50 ms\): [\d.]+ of 20 ops\/s achieved; schedule lag p50 .*, p99 .*/;
      expect(renderMarkdown(report)).toMatch(line);
      expect(renderSummary(report, { color: false })).toMatch(line);
      expect(renderJunit(report)).toMatch(
        /<error message="PROBE_BEHIND_SCHEDULE: probe &quot;api&quot; fell behind/,
      );
      expect(renderJunit(report)).toMatch(new RegExp(`<system-out>${line.source}`));
    });
  });

  describe('a negative control', () => {
    it('exits 0 when it fails as declared, and its JUnit is green', async () => {
      const report = await run(fixture('control-as-declared'), 'runner-test-control-ok');
      expect(report.error).toBeUndefined();
      expect(report.verdict).toBe('fail');
      expect(report.expectation).toMatchObject({ met: true, outcome: 'as-expected' });
      expect(report.expectation?.message).toBe('failed as expected, on rto');
      expect(report.exitCode).toBe(0);
      const junit = renderJunit(report);
      expect(junit).toMatch(/failures="0" errors="0"/);
      expect(junit).toMatch(/rto &lt;= 500ms \(fail, as declared\)/);
    });

    it('exits 1 when it fails for another reason, naming that reason, and its JUnit is red', async () => {
      const report = await run(fixture('control-other-reason'), 'runner-test-control-other');
      expect(report.error).toBeUndefined();
      expect(report.verdict).toBe('fail');
      expect(report.expectation).toMatchObject({ met: false, outcome: 'failed-for-another-reason' });
      expect(report.expectation?.message).toMatch(/latency-p95 \[steady\] fail \(not declared\)/);
      expect(report.exitCode).toBe(1);
      expect(renderJunit(report)).toMatch(
        /<testcase [^>]*name="expectation"[^>]*>\s*<failure [^>]*type="failed-for-another-reason"/,
      );
    });
  });

  describe('report directories', () => {
    it('gives two runs of one scenario started in the same second their own directory and reports', async () => {
      const runsDir = mkdtempSync(join(root, 'runs-'));
      const scenario = loadScenario('http-service-ignored-signal');
      const [a, b] = await Promise.all(
        ['runner-test-same-a', 'runner-test-same-b'].map((runId) =>
          runScenario({ scenario, runsDir, runId }),
        ),
      );
      expect(a?.runDir).not.toBe(b?.runDir);
      for (const r of [a, b]) {
        expect(r?.verdict).toBe('inconclusive');
        await writeReports(r as NonNullable<typeof r>, (r as NonNullable<typeof r>).runDir);
      }
      expect(readdirSync(runsDir)).toHaveLength(2);
      for (const d of readdirSync(runsDir)) {
        expect(readdirSync(join(runsDir, d))).toEqual(expect.arrayContaining(['report.json', 'api.log']));
        expect(d).toMatch(/^http-service-ignored-signal-\d{8}T\d{6}Z-runner-test-same-[ab]$/);
      }
    });

    it('refuses, before starting anything, an --out directory a live run is writing to', async () => {
      const outDir = mkdtempSync(join(root, 'busy-'));
      const scenario = loadScenario('http-service-ignored-signal');
      const first = runScenario({ scenario, outDir, runId: 'runner-test-busy-1' });
      await expect(runScenario({ scenario, outDir, runId: 'runner-test-busy-2' })).rejects.toThrow(
        /is in use by run runner-test-busy-1 of "http-service-ignored-signal"/,
      );
      expect(markedProcesses('runner-test-busy-2')).toEqual([]);
      expect((await first).verdict).toBe('inconclusive');
      // Once the first run is over, the directory can be used again.
      expect((await runScenario({ scenario, outDir, runId: 'runner-test-busy-3' })).verdict).toBe(
        'inconclusive',
      );
    });
  });
});
