// network-partition's isolate() on a YAML service in containers, against the real engine: the
// other service's packets to it are dropped (a timeout, not a refusal), the host still reaches it,
// and healing restores the path. Skips (saying why) only where no engine answers.
import { join } from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scenario/load.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../testing/containers.js';
import { testContext } from '../../testing/test-context.js';
import { startEnvironment } from '../start-environment.js';
import { ContainerRuntime } from './runtime.js';

const { docker, skip } = await engineForTests('YAML partition test', [
  'chaos-harness/node:latest',
  'chaos-harness/nettools:latest',
]);
const DIR = join(PROJECT_ROOT, 'test/fixtures/environments/two-peers');

async function ask(port: number | undefined, path: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return `${r.status} ${await r.text()}`;
}

describe.skipIf(skip !== undefined)('isolating a YAML service in containers', () => {
  it('drops the other service’s packets both ways while the host still reaches it, until healed', async () => {
    using ctx = testContext('two-peers', DIR);
    ctx.provider = 'containers';
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await startEnvironment(ctx, undefined, 'scenario.yaml');
      const a = env.services.get('a')?.endpoints.http?.port;
      const b = env.services.get('b');
      const isolate = b?.isolate;
      expect(await ask(a, '/peer')).toBe('200 peer 200');
      expect(isolate).toBeDefined();
      {
        const t0 = performance.now();
        await using cut = await (isolate as NonNullable<typeof isolate>).call(b);
        // Silently dropped: the client waits out its own 1 s timeout rather than being refused.
        expect(await ask(a, '/peer')).toBe('504 peer unreachable: TimeoutError');
        expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
        expect(await ask(b?.endpoints.http?.port, '/health')).toBe('200 ok');
        expect(cut.details).toBeDefined();
      }
      expect(await ask(a, '/peer')).toBe('200 peer 200');
    }
    expect(await runLeftovers(docker as Docker, ctx.runId)).toEqual(NOTHING_LEFT);
  });
});
