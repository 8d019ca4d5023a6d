// What both providers' variants of the stack share: the backend's name, HAProxy's config
// rendering and readiness, the app's arguments.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import { describeApi, haproxy, type RuntimeApi } from './haproxy-runtime.mjs';
import type { BlueGreenState, SlotName } from './state.js';

/** HAProxy's backend; its servers are named after the slots. */
export const BACKEND = 'app';

/** Options of the app that every slot starts with. */
export function appArgs(o: { slowMs: number; errorsAfter: number; errorEvery: number }): string[] {
  return [
    '--slow-ms',
    String(o.slowMs),
    '--errors-after',
    String(o.errorsAfter),
    '--error-every',
    String(o.errorEvery),
  ];
}

/** The state at bring-up, the same for both providers: the initial version in blue, green empty. */
export function initialState(opts: {
  socket: RuntimeApi;
  proxyPort: number;
  ports: Record<SlotName, number>;
  envDir: string;
  runDir: string;
  app: { initialVersion: string; slowMs: number; errorsAfter: number; errorEvery: number };
}): BlueGreenState {
  return {
    socket: opts.socket,
    backend: BACKEND,
    proxyPort: opts.proxyPort,
    // In containers the app's folder is mounted at the same path: slots run this checkout's app.mjs.
    appScript: join(opts.envDir, 'app.mjs'),
    appArgs: appArgs(opts.app),
    logDir: opts.runDir,
    live: 'blue',
    slots: {
      blue: { port: opts.ports.blue, version: opts.app.initialVersion, pid: null, startTicks: null },
      green: { port: opts.ports.green, version: null, pid: null, startTicks: null },
    },
  };
}

/** Writes `template` with `${name}` replaced to `<dir>/haproxy.cfg`; returns that path. */
export function renderConfig(template: string, values: Record<string, string>, dir: string): string {
  const cfgPath = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfgPath,
    readFileSync(template, 'utf8').replace(/\$\{(\w+)\}/g, (_, k: string) => values[k] ?? ''),
  );
  return cfgPath;
}

/** `show info` once the runtime API answers it (a published port may accept before HAProxy does). */
export async function waitForSocket(
  api: RuntimeApi,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = 'an empty answer';
  for (;;) {
    try {
      const info = await haproxy(api, 'show info', 1000);
      if (/^Name: HAProxy/m.test(info)) return info;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) {
      throw new HarnessError(
        'NOT_READY',
        `HAProxy runtime API ${describeApi(api)} did not answer "show info" within ${timeoutMs}ms (last: ${last instanceof Error ? last.message : String(last)})`,
        { cause: last },
      );
    }
    await sleep(50, undefined, { signal });
  }
}
