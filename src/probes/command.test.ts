// The command probe with real processes against a real service: exit 0 ok, non-zero a failure with
// a short tail, a timeout unknown, a missing program a broken probe, and nothing left running.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext, StartedEnvironment } from '../core/types.js';
import { markedProcesses } from '../providers/local/run-registry.js';
import { startEnvironment } from '../providers/start-environment.js';
import { PROJECT_ROOT } from '../scenario/load.js';
import { type TestContext, testContext } from '../testing/test-context.js';
import { waitFor } from '../testing/wait.js';
import { commandProbe } from './command.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/environments/kv');
let ctx: TestContext;
let env: StartedEnvironment;
let run: RunContext;

beforeAll(async () => {
  ctx = testContext('kv', DIR);
  env = await startEnvironment(ctx, { mode: 'durable' }, 'test');
  run = ctx.runContext(env);
});
afterAll(async () => {
  await env?.[Symbol.asyncDispose]();
  ctx?.[Symbol.dispose]();
});

function start(params: Record<string, unknown>, timeoutMs = 2000) {
  const common = { name: 'check', intervalMs: 100, timeoutMs, target: {} };
  return commandProbe.start(run, commandProbe.params.parse(params), common);
}

function commandsLeft(): string[] {
  return markedProcesses(ctx.runId)
    .map((m) => {
      try {
        return readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return '';
      }
    })
    .filter((c) => c !== '' && !c.includes('server.mjs'));
}

// Exit 0 when the service answers its health check, 1 with what went wrong otherwise.
const HEALTH = [
  'node',
  '-e',
  'fetch("http://127.0.0.1:" + process.argv[1] + "/health").then(() => {}, (e) => { console.error("down:", e.cause?.code); process.exit(1); })',
  `\${services.kv.ports.http}`,
];

describe('command probe', () => {
  it('is ok while the command exits 0 and fails with a short tail when it does not', async () => {
    await using probe = await start({ command: HEALTH });
    await waitFor('three ok checks', () => probe.ops().filter((o) => o.outcome === 'ok').length >= 3, 10_000);
    const kv = env.services.get('kv');
    await kv?.stop(1000);
    await waitFor('a failed check', () => probe.ops().some((o) => o.outcome === 'fail'), 10_000);
    await probe.stop();
    const failed = probe.ops().find((o) => o.outcome === 'fail');
    expect(failed?.error).toBe('exit 1: down: ECONNREFUSED');
    expect(probe.failure?.()).toBeUndefined();
    await kv?.start();
    expect(commandsLeft()).toEqual([]);
  });

  it('records a check that does not end within the timeout as unknown, and kills it', async () => {
    await using probe = await start({ command: ['sleep', '30'], killGrace: 100 }, 200);
    await waitFor('an unknown check', () => probe.ops().some((o) => o.outcome === 'unknown'), 5000);
    await probe.stop();
    expect(probe.ops().every((o) => o.outcome === 'unknown')).toBe(true);
    await waitFor('no check left running', () => commandsLeft().length === 0, 3000);
  });

  it('keeps only the end of a long failure output', async () => {
    await using probe = await start({
      command: ['node -e "console.log(\'x\'.repeat(5000)); process.exit(2)"'],
      shell: true,
    });
    await waitFor('a failed check', () => probe.ops().some((o) => o.outcome === 'fail'), 5000);
    await probe.stop();
    const error = probe.ops().find((o) => o.outcome === 'fail')?.error ?? '';
    expect(error.startsWith('exit 2: …xxx')).toBe(true);
    expect(error.length).toBeLessThanOrEqual(210);
  });

  it('is a broken probe, not a failing stack, when its program does not exist', async () => {
    await using probe = await start({ command: ['no-such-health-check'] });
    await waitFor('the probe reports itself broken', () => probe.failure?.(), 5000);
    expect(probe.failure?.()).toMatch(/"no-such-health-check" was not found/);
  });
});
