import { describe, expect, it } from 'vitest';
import { useKvFixture } from '../testing/kv-fixture.js';
import { waitFor } from '../testing/wait.js';
import { commandProbe } from './command.js';

const fx = useKvFixture();

function start(params: Record<string, unknown>, timeoutMs = 2000) {
  const common = { name: 'check', intervalMs: 100, timeoutMs, target: {} };
  return commandProbe.start(fx.run, commandProbe.params.parse(params), common);
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
    const kv = fx.env.services.get('kv');
    await kv?.stop(1000);
    await waitFor('a failed check', () => probe.ops().some((o) => o.outcome === 'fail'), 10_000);
    await probe.stop();
    const failed = probe.ops().find((o) => o.outcome === 'fail');
    // A check whose connection the stopping server closed is reset; later ones are refused.
    expect(failed?.error).toMatch(/^exit 1: down: ECONN(REFUSED|RESET)$/);
    expect(probe.failure?.()).toBeUndefined();
    await kv?.start();
    expect(fx.commandsLeft()).toEqual([]);
  });

  it('records a check that does not end within the timeout as unknown, and kills it', async () => {
    await using probe = await start({ command: ['sleep', '30'], killGrace: 100 }, 200);
    await waitFor('an unknown check', () => probe.ops().some((o) => o.outcome === 'unknown'), 5000);
    await probe.stop();
    expect(probe.ops().every((o) => o.outcome === 'unknown')).toBe(true);
    await waitFor('no check left running', () => fx.commandsLeft().length === 0, 3000);
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
