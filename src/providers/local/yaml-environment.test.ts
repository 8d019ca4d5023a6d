// environment.yaml features a team needs for its own services, with real processes: options set from
// a scenario, config files rendered with the run's ports, start order by dependsOn (a front that
// exits when its backend does not answer starts only after it), and restarts with backoff and a limit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { networkLatency } from '../../injectors/network-latency.js';
import { loadEnvironmentFile, PROJECT_ROOT } from '../../scenario/load.js';
import { testContext } from '../../testing/test-context.js';
import { waitFor } from '../../testing/wait.js';
import { startEnvironment } from '../start-environment.js';
import { startOrder } from './yaml-environment.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/environments/configured');

async function health(port: number | undefined): Promise<Record<string, string>> {
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  return (await res.json()) as Record<string, string>;
}

describe('environment.yaml of your own services', () => {
  it('starts dependencies first, renders config files with ports and options, and takes options', async () => {
    expect(startOrder(loadEnvironmentFile(join(DIR, 'environment.yaml')).services)).toEqual(['api', 'front']);
    using ctx = testContext('configured', DIR);
    await using env = await startEnvironment(ctx, { greeting: 'hi' }, 'scenario.yaml');
    const api = env.services.get('api')?.endpoints.http?.port;
    const front = env.services.get('front')?.endpoints.http?.port;
    expect(await health(front)).toEqual({
      greeting: 'hi from front',
      backend: `http://127.0.0.1:${api}/health`,
    });
    expect(await health(api)).toEqual({ greeting: 'hi from api', literal: `\${not.substituted}` });
    expect(readFileSync(join(ctx.workDir, 'front', 'config.json'), 'utf8')).toContain(`:${api}/health`);
  });

  it('puts a proxied port behind the fault proxy for clients and other services, where latency acts', async () => {
    using ctx = testContext('configured', DIR);
    await using env = await startEnvironment(ctx, undefined, 'scenario.yaml');
    const api = env.services.get('api');
    const viaProxy = api?.endpoints.http?.port;
    const direct = api?.endpoints.http_direct?.port;
    expect(viaProxy).toBeDefined();
    expect(direct).toBeDefined();
    expect(viaProxy).not.toBe(direct);
    // The front was given the proxy's port for its backend, not the real one.
    expect((await health(env.services.get('front')?.endpoints.http?.port)).backend).toBe(
      `http://127.0.0.1:${viaProxy}/health`,
    );
    const timed = async (port: number | undefined) => {
      const t0 = performance.now();
      await health(port);
      return performance.now() - t0;
    };
    await using _fault = await networkLatency.inject(
      ctx.runContext(env),
      networkLatency.params.parse({ latency: 300 }),
      { service: 'api' },
    );
    expect(await timed(viaProxy)).toBeGreaterThanOrEqual(300);
    expect(await timed(direct)).toBeLessThan(300);
    expect(env.info.faultProxy).toMatchObject({
      proxies: { 'api-http': `127.0.0.1:${viaProxy} → 127.0.0.1:${direct}` },
    });
  });

  it('rejects an option the environment does not declare, or of another type, naming each', async () => {
    using ctx = testContext('configured', DIR);
    const err = await startEnvironment(ctx, { greting: 'x', greeting: 3 }, 'scenario.yaml').catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      {
        path: 'environmentOptions.greting',
        message:
          'unknown option of environment "configured"; did you mean "greeting"? Expected one of: greeting',
      },
      { path: 'environmentOptions.greeting', message: 'expected a string like its default ("hello"); got 3' },
    ]);
  });

  it('restarts a dying service later each time, and stops after maxRestarts', async () => {
    using ctx = testContext('configured', DIR);
    await using env = await startEnvironment(ctx, undefined, 'scenario.yaml');
    const api = env.services.get('api');
    const restarts = () => ctx.events.filter((e) => e.type === 'service-restart');
    for (let i = 1; i <= 4; i++) {
      await waitFor(`api running before kill ${i}`, () => (api?.running() ? true : undefined), 10_000, 20);
      await api?.kill('SIGKILL');
      if (i <= 3)
        await waitFor(`restart ${i}`, () => (restarts().length === i ? true : undefined), 10_000, 20);
    }
    // 200 ms, then doubled, capped at 1 s.
    expect(restarts().map((e) => e.data?.delayMs)).toEqual([200, 400, 800]);
    await waitFor(
      'the restart limit',
      () => (ctx.events.some((e) => e.type === 'service-restart-limit') ? true : undefined),
      5000,
      20,
    );
    await sleep(1200);
    expect(api?.running()).toBe(false);
    expect(restarts()).toHaveLength(3);
    expect(ctx.events.find((e) => e.type === 'service-restart-limit')?.message).toBe(
      'api not restarted: 3 consecutive restarts reached its limit (3)',
    );
  });
});
