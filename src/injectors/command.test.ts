// The command fault with real processes against a real service: references resolved from the
// started environment, output captured, undo run on revert, and a failing, hanging or interrupted
// command never leaving a process behind.
import 'disposablestack/auto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { injectFaults } from '../core/run/inject.js';
import { useKvFixture } from '../testing/kv-fixture.js';
import { commandFault } from './command.js';
import { builtinInjectors } from './index.js';

const fx = useKvFixture();

const params = (p: Record<string, unknown>) => commandFault.params.parse(p);

/** Processes of this run other than its service: what the commands left. */

async function noCommandLeft(): Promise<void> {
  const deadline = performance.now() + 2000;
  while (fx.commandsLeft().length > 0 && performance.now() < deadline) await sleep(20);
  expect(fx.commandsLeft()).toEqual([]);
}

const post = (path: string) =>
  `fetch("http://127.0.0.1:" + process.argv[1] + "${path}", { method: "POST" }).then(async (r) => console.log(r.status, await r.text()))`;

describe('command fault', () => {
  it('runs with the service’s port, captures its output in the run dir and shows the tail in the details', async () => {
    const port = fx.env.services.get('kv')?.endpoints.http?.port;
    await using fault = await commandFault.inject(
      fx.run,
      params({ run: ['node', '-e', post('/admin/fail-reads'), `\${services.kv.ports.http}`] }),
      {},
    );
    const d = fault.details.run as Record<string, unknown>;
    expect(d.argv).toEqual(['node', '-e', post('/admin/fail-reads'), String(port)]);
    expect(d.exit).toBe('exit 0');
    expect(d.tail).toBe('200 reads fail from now on');
    expect(d.output).toBe(join(fx.ctx.runDir, 'fault-command-run-1.log'));
    expect(readFileSync(d.output as string, 'utf8')).toContain('reads fail from now on');
    expect(fault.reversible).toBe(false);
    // The fault acted on the real service.
    expect((await fetch(`http://127.0.0.1:${port}/kv/x`)).status).toBe(500);
  });

  it('runs undo when the fault is reverted, with its result in the details', async () => {
    const marker = join(fx.ctx.workDir, 'broken');
    const fault = await commandFault.inject(
      fx.run,
      params({
        run: [`touch \${workDir}/broken`],
        undo: [`rm \${workDir}/broken && echo mended`],
        shell: true,
      }),
      {},
    );
    expect(existsSync(marker)).toBe(true);
    expect(fault.reversible).toBe(true);
    await fault[Symbol.asyncDispose]();
    expect(existsSync(marker)).toBe(false);
    expect(fault.details.undo).toMatchObject({ exit: 'exit 0', tail: 'mended' });
  });

  it('fails the injection with the exit code and the output’s tail when run exits non-zero', async () => {
    await using stack = new AsyncDisposableStack();
    const plan = {
      faults: [
        {
          kind: 'command',
          atMs: 0,
          target: {},
          params: params({ run: ['sh', '-c', 'echo "cannot reach the switch" >&2; exit 3'] }),
        },
      ],
    };
    await expect(
      injectFaults(plan, { injectors: builtinInjectors, probes: {}, actions: {} }, fx.run, stack),
    ).rejects.toMatchObject({
      code: 'INJECTION_FAILED',
      message: expect.stringMatching(
        /^command failed: `sh -c .*` exit 3; output \(.*\.log\): cannot reach the switch$/,
      ),
    });
    await noCommandLeft();
  });

  it('stops a command at its timeout and leaves nothing running', async () => {
    await expect(
      commandFault.inject(fx.run, params({ run: ['sleep', '30'], timeout: 300 }), {}),
    ).rejects.toThrow(/`sleep 30` timed out after 300 ms/);
    await noCommandLeft();
  });

  it('kills the command’s process group when the run is interrupted', async () => {
    const ac = new AbortController();
    const injecting = commandFault.inject(
      { ...fx.run, signal: ac.signal },
      params({ run: ['sleep 30 & sleep 30'], shell: true }),
      {},
    );
    await sleep(300);
    expect(fx.commandsLeft().length).toBeGreaterThanOrEqual(2);
    ac.abort(new Error('SIGTERM'));
    await expect(injecting).rejects.toThrow('SIGTERM');
    await noCommandLeft();
  });

  it('names what is wrong with a command before anything runs', () => {
    const issues = (p: Record<string, unknown>) =>
      commandFault.params.safeParse(p).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ run: [] })).toEqual(['run: expected the program and its arguments; got an empty list']);
    expect(issues({ run: 'kill -9 1' })).toEqual([expect.stringMatching(/^run: expected a list/)]);
    expect(issues({ run: ['a', 'b'], shell: true })).toEqual([
      'run: with shell: true, expected one script string (["pg_dump db | gzip > x"]); got 2 items',
    ]);
    expect(issues({ run: ['curl', `127.0.0.1:\${ports.http}`] })).toEqual([
      expect.stringMatching(/^run.1: unknown reference \$\{ports.http\}.*name the service/),
    ]);
    expect(issues({ run: ['x'], undo: [`\${envDir}/undo.sh`] })).toEqual([
      expect.stringMatching(/^undo.0: unknown reference \$\{envDir\}.*relative path/),
    ]);
  });
});
