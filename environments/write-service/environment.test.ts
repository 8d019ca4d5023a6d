// service-crash-restart end to end on the local provider: a real SIGKILL and a real SIGTERM of the
// write service while the http-write probe has writes in flight, the supervisor restarting it, and
// every acknowledged write read back afterwards. The draining service loses none; the one that
// acknowledges first and has no SIGTERM handler loses the writes it acknowledged just before the
// signal, and they are listed by id.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureScenario, runWriteScenario, sigtermLines } from './test-support.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'write-service-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

describe('write-service (local provider)', () => {
  it('loses no acknowledged write to a SIGKILL, nor to a SIGTERM that lands with writes in flight', async () => {
    const { report, iterations, log, md } = await runWriteScenario(
      root,
      'service-crash-restart',
      'write-service-drain',
    );
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    expect(iterations.map((i) => i.name)).toEqual(['sigkill', 'sigterm']);
    for (const it of iterations) {
      const p = it.probes[0]!;
      expect(p.rpo.acknowledged).toBeGreaterThan(150);
      expect(p.rpo.lost).toBe(0);
      // Restarted by the supervisor 1 s after each exit, then serving again.
      expect(it.rtoMs).toBeGreaterThanOrEqual(1000);
      expect(it.rtoMs).toBeLessThan(10_000);
    }
    // The SIGKILL cut off the writes in flight: never acknowledged, so indeterminate, never lost.
    // An answer the service had already sent when the signal landed can still reach the client
    // after t_inject (seen once in a clean-clone CI run, 2026-12-02: 1 ok, the rest cut off), so
    // what is asserted is that most were cut off and none that was acknowledged is missing.
    const cut = iterations[0]!.probes[0]!.atFault;
    expect(cut.unknown).toBeGreaterThanOrEqual(5);
    expect(cut.ok).toBeLessThan(cut.unknown);
    expect(cut.okLost).toBe(0);
    // The SIGTERM met writes in flight (each takes 100 ms to persist, one starts every 10 ms): the
    // service answered them after the signal, and every one of them was read back.
    const at = iterations[1]!.probes[0]!.atFault;
    expect(at.ok).toBeGreaterThanOrEqual(5);
    expect(at.okLost).toBe(0);
    // The service saw them too, and drained before it exited 0.
    const [atSignal] = sigtermLines(log);
    expect(atSignal?.requests).toBeGreaterThanOrEqual(5);
    expect(log).toMatch(/drained: every request answered and every write persisted/);
    const exits = report.events.filter((e) => e.type === 'service-exit').map((e) => e.data);
    expect(exits).toEqual([
      expect.objectContaining({ signal: 'SIGKILL' }),
      expect.objectContaining({ code: 0, signal: null }),
    ]);
    expect(report.events.filter((e) => e.type === 'service-restart')).toHaveLength(2);
    expect(md).toContain(`- In flight at the fault: ${at.inFlight} operation(s)`);
  });

  it('fails lost-writes only, listing the ids, when the service acknowledges first and does not drain on SIGTERM', async () => {
    const { report, iterations, log } = await runWriteScenario(
      root,
      'service-crash-restart-no-drain',
      'write-service-no-drain',
    );
    expect(report.verdict).toBe('fail');
    expect(report.expectation).toMatchObject({ met: true });
    expect(report.exitCode).toBe(0);
    expect(report.targets.map((t) => [t.metric, t.verdict])).toEqual([
      ['lost-writes', 'fail'],
      ['rto', 'pass'],
      ['latency-p95', 'pass'],
    ]);
    const [it] = iterations;
    const { rpo, atFault } = it!.probes[0]!;
    expect(rpo.lost).toBeGreaterThanOrEqual(1);
    expect(report.targets[0]?.measured).toBe(rpo.lost);
    // Acknowledged, still in the write-behind queue when the signal's default action ended the
    // process: the writes of the last persistMs (100 ms) before the SIGTERM, each listed by id.
    expect(rpo.lostSample).toHaveLength(rpo.lost);
    // An answer the service sent just before the signal can be read by the harness a moment after
    // the injector returned (measured: 0.6 ms), hence the slack after t_inject.
    for (const l of rpo.lostSample) {
      expect(l.key).toMatch(/^writes-[0-9a-f]{6}-\d+$/);
      expect(l.ackMs).toBeLessThan(it!.tInjectMs + 50);
      expect(l.ackMs).toBeGreaterThan(it!.tInjectMs - 500);
    }
    expect(atFault.recentAcksLost).toBeGreaterThanOrEqual(1);
    expect(sigtermLines(log)).toEqual([]);
  });

  it('loses nothing to the SIGTERM when the same write-behind service drains its queue first', async () => {
    const { report, iterations, log } = await runWriteScenario(
      root,
      fixtureScenario('write-behind-drains'),
      'write-service-behind-drains',
    );
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    const { rpo, atFault } = iterations[0]!.probes[0]!;
    expect(rpo.lost).toBe(0);
    // Writes acknowledged just before the signal were not yet on disk, and were persisted by the drain.
    expect(atFault.recentAcks).toBeGreaterThanOrEqual(3);
    expect(atFault.recentAcksLost).toBe(0);
    expect(sigtermLines(log)[0]?.unpersisted).toBeGreaterThanOrEqual(1);
  });
});
