// service-crash-restart on the containers provider, against the real engine and chaos-harness/node:
// the same scenario files, the signals sent to the container (tini passes SIGTERM on to node), the
// harness's supervisor starting the container again, and nothing of the run left afterwards.
// Skips (saying why) only where no Docker engine answers or the image was never built.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { runWriteScenario, sigtermLines } from './test-support.js';

const { docker, skip } = await engineForTests('write-service containers test', ['chaos-harness/node:latest']);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'write-service-containers-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(skip !== undefined)('write-service on the containers provider', () => {
  it('loses no acknowledged write to a SIGKILL or a SIGTERM of its container with writes in flight', async () => {
    const runId = 'write-service-containers-drain';
    const { report, iterations, log } = await runWriteScenario(
      root,
      'service-crash-restart',
      runId,
      'containers',
    );
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    expect(report.environment.provider).toBe('containers');
    for (const it of iterations) {
      expect(it.probes[0]!.rpo.acknowledged).toBeGreaterThan(150);
      expect(it.probes[0]!.rpo.lost).toBe(0);
      expect(it.rtoMs).toBeGreaterThanOrEqual(1000);
      expect(it.rtoMs).toBeLessThan(10_000);
    }
    // Sending the signal through the engine takes longer than a kill(2), so fewer writes span the
    // whole injection; the service itself counts what it had when the signal reached it.
    // No in-flight count for the SIGKILL here: the engine answers a SIGKILL once the container is
    // gone (161 ms measured), so the writes it cut off ended inside the injection window.
    const at = iterations[1]!.probes[0]!.atFault;
    expect(at.ok).toBeGreaterThanOrEqual(3);
    expect(at.okLost).toBe(0);
    expect(sigtermLines(log)[0]?.requests).toBeGreaterThanOrEqual(5);
    expect(log).toMatch(/drained: every request answered and every write persisted/);
    expect(await runLeftovers(docker as Docker, runId)).toEqual(NOTHING_LEFT);
  });

  it('fails lost-writes only when the container acknowledges first and does not drain on SIGTERM', async () => {
    const runId = 'write-service-containers-no-drain';
    const { report, iterations } = await runWriteScenario(
      root,
      'service-crash-restart-no-drain',
      runId,
      'containers',
    );
    expect(report.verdict).toBe('fail');
    expect(report.expectation).toMatchObject({ met: true });
    expect(report.targets.map((t) => [t.metric, t.verdict])).toEqual([
      ['lost-writes', 'fail'],
      ['rto', 'pass'],
      ['latency-p95', 'pass'],
    ]);
    const { rpo } = iterations[0]!.probes[0]!;
    expect(rpo.lost).toBeGreaterThanOrEqual(1);
    for (const l of rpo.lostSample) expect(l.key).toMatch(/^writes-[0-9a-f]{6}-\d+$/);
    expect(await runLeftovers(docker as Docker, runId)).toEqual(NOTHING_LEFT);
  });
});
