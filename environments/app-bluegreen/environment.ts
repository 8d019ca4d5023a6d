// Blue-green API service behind HAProxy: two slots, one live, traffic moved by the HAProxy runtime
// API. The deploy pipeline (deploy.mjs) is the thing under test; the environment only brings up
// the first version and hands the pipeline to the `deploy` injector. Local provider: HAProxy and
// the slots are processes on loopback ports (below); containers provider: containers.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import type { StartedEnvironment } from '../../src/core/types.js';
import { binaryVersions, onHost } from '../../src/providers/binary-versions.js';
import { LocalEnvironment } from '../../src/providers/local/local-environment.js';
import { recordDir } from '../../src/providers/local/run-registry.js';
import type { EnvironmentModule, EnvironmentStartContext } from '../../src/providers/provider.js';
import { SupervisedService } from '../../src/providers/supervised-service.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { startInContainers } from './containers.js';
import { publishBlueGreen } from './deploy-extension.js';
import { SlotService } from './slot-service.js';
import { initialState, renderConfig, waitForSocket } from './stack.js';
import { type SlotName, writeState } from './state.js';

export const APP_VERSIONS = ['good', 'crash-on-boot', 'fails-health', 'errors-after-switch', 'slow'] as const;

// Strict: a misspelt option (`slowMS`) is an error, not a default silently used.
export const appBlueGreenOptions = z.strictObject({
  /** Version running in the blue slot at bring-up. */
  initialVersion: z.enum(APP_VERSIONS).default('good'),
  /** Latency the `slow` version adds to every API request. */
  slowMs: z.number().int().min(0).max(MAX_TIMER_MS).default(400),
  /** `errors-after-switch` serves this many live requests before it starts failing. */
  errorsAfter: z.number().int().min(0).default(10),
  /** ...then every Nth live request fails (2 = 50 %). */
  errorEvery: z.number().int().min(1).default(2),
  haproxy: z.string().default('/usr/sbin/haproxy'),
  readyTimeoutMs: z.number().int().positive().max(MAX_TIMER_MS).default(10_000),
});
export type AppBlueGreenOptions = z.infer<typeof appBlueGreenOptions>;

async function start(
  ctx: EnvironmentStartContext,
  options: AppBlueGreenOptions,
): Promise<StartedEnvironment> {
  const o = appBlueGreenOptions.parse(options ?? {});
  if (ctx.provider === 'containers') return startInContainers(ctx, o);
  const t0 = ctx.clock.now();
  if (o.haproxy.includes('/') && !existsSync(o.haproxy)) {
    throw new HarnessError(
      'BINARY_MISSING',
      `${o.haproxy} was not found: install the Debian package "haproxy"`,
    );
  }
  const proxyPort = await ctx.freePort();
  const bluePort = await ctx.freePort();
  const greenPort = await ctx.freePort();

  const env = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
  try {
    // Unix socket paths are limited to 108 bytes; a deep workDir falls back to a short temp dir.
    let socketDir = ctx.workDir;
    if (join(ctx.workDir, 'haproxy.sock').length > 100) {
      const dir = mkdtempSync(join(tmpdir(), 'bluegreen-'));
      // Removed at teardown, and by the next run's sweep if this one is SIGKILLed.
      recordDir(ctx.runId, dir);
      env.defer(() => rmSync(dir, { recursive: true, force: true }));
      socketDir = dir;
    }
    const socket = join(socketDir, 'haproxy.sock');
    const values: Record<string, string> = {
      socket,
      proxyPort: String(proxyPort),
      bluePort: String(bluePort),
      greenPort: String(greenPort),
    };
    const cfgPath = renderConfig(join(ctx.dir, 'haproxy.cfg.template'), values, ctx.workDir);

    const statePath = join(ctx.workDir, 'bluegreen-state.json');
    const state = initialState({
      socket,
      proxyPort,
      ports: { blue: bluePort, green: greenPort },
      envDir: ctx.dir,
      runDir: ctx.runDir,
      app: o,
    });
    writeState(statePath, state);

    const slots = {} as Record<SlotName, SlotService>;
    for (const slot of ['blue', 'green'] as const) {
      slots[slot] = env.add(
        new SlotService({ slot, statePath, runId: ctx.runId, readyTimeoutMs: o.readyTimeoutMs }),
      );
    }
    await slots.blue.start(ctx.signal);

    // Added last so it is disposed first: no traffic reaches slots that are being stopped.
    const proxy = env.add(
      new SupervisedService({
        name: 'proxy',
        process: {
          name: 'haproxy',
          command: o.haproxy,
          args: ['-db', '-f', cfgPath],
          logFile: join(ctx.runDir, 'haproxy.log'),
          runId: ctx.runId,
        },
        endpoints: { http: { host: '127.0.0.1', port: proxyPort } },
        role: 'proxy',
        ready: {
          check: { kind: 'tcp', host: '127.0.0.1', port: proxyPort },
          timeoutMs: o.readyTimeoutMs,
          intervalMs: 50,
        },
        stopGraceMs: 2000,
        emit: ctx.emit,
      }),
    );
    await proxy.start(ctx.signal);
    const info = await waitForSocket(socket, ctx.signal, o.readyTimeoutMs);

    publishBlueGreen(env, {
      envDir: ctx.dir,
      statePath,
      runId: ctx.runId,
      logDir: ctx.runDir,
      slots,
      bringUpMs: ctx.clock.now() - t0,
      haproxyInfo: info,
      versions: await binaryVersions(onHost, {
        haproxy: [o.haproxy, '-v'],
        'node (app)': [process.execPath, '--version'],
      }),
      info: {
        proxyPort,
        slotPorts: { blue: bluePort, green: greenPort },
        initialVersion: o.initialVersion,
      },
    });
    return env;
  } catch (err) {
    await env[Symbol.asyncDispose]();
    throw err;
  }
}

const environment: EnvironmentModule<AppBlueGreenOptions> = {
  description:
    'HTTP API in two slots (blue, green) behind HAProxy; deploys switch traffic with the runtime API',
  options: appBlueGreenOptions,
  providers: ['local', 'containers'],
  services: () => [
    { name: 'blue', roles: ['live', 'idle'] },
    { name: 'green', roles: ['live', 'idle'] },
    { name: 'proxy', roles: ['proxy'] },
  ],
  start,
};
export default environment;
