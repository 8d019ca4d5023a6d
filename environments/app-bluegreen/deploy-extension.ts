// The deploy pipeline of this stack (the DEPLOY extension), the same for both providers: the
// pipeline runs on the harness's host as a process marked with the run's id, as a CI runner
// would run it, whatever runs the slots.
import { join } from 'node:path';
import { HarnessError } from '../../src/core/errors.js';
import type { Extensions } from '../../src/core/extensions.js';
import type { StartedService } from '../../src/core/types.js';
import { ManagedProcess } from '../../src/providers/local/managed-process.js';
import { DEPLOY, type DeployPipeline } from '../../src/stacks/deploy.js';
import { liveSlot, setTraffic } from './haproxy-runtime.mjs';
import { readState, type SlotName, writeState } from './state.js';

/** A slot as restore() needs it. */
export interface Slot extends StartedService {
  /** Stop the slot and forget its process or container (start() would make a new one). */
  vacate(): Promise<void>;
}

export function deployExtension(opts: {
  envDir: string;
  statePath: string;
  runId: string;
  logDir: string;
  slots: Readonly<Record<SlotName, Slot>>;
}): DeployPipeline {
  const { statePath, slots } = opts;
  return {
    command: [process.execPath, join(opts.envDir, 'deploy.mjs'), '--state', statePath],
    runId: opts.runId,
    logDir: opts.logDir,
    run(argv, { name, logFile }) {
      const proc = new ManagedProcess({
        name,
        command: argv[0] as string,
        args: argv.slice(1),
        cwd: opts.envDir,
        logFile,
        runId: opts.runId,
      });
      proc.start();
      return proc;
    },
    async liveVersion() {
      const s = readState(statePath);
      const slot = (await liveSlot(s.socket, s.backend)) as SlotName;
      return { slot, version: s.slots[slot].version };
    },
    async restore(slot) {
      const to = slot as SlotName;
      const from: SlotName = to === 'blue' ? 'green' : 'blue';
      if (!slots[to].running())
        throw new HarnessError('INTERNAL', `cannot restore traffic to ${to}: it is not running`);
      const s = readState(statePath);
      await setTraffic(s.socket, s.backend, to, from);
      await slots[from].vacate();
      const after = readState(statePath);
      after.live = to;
      writeState(statePath, after);
    },
  };
}

/**
 * The last step of either provider's bring-up: the deploy pipeline as the DEPLOY extension, and the
 * facts every variant reports (bring-up time, HAProxy's version as it answered, what each binary says).
 */
export function publishBlueGreen(
  env: { extensions: Extensions; info: Record<string, unknown> },
  opts: Parameters<typeof deployExtension>[0] & {
    bringUpMs: number;
    haproxyInfo: string;
    versions: Record<string, string>;
    info: Record<string, unknown>;
  },
): void {
  env.extensions.set(DEPLOY, deployExtension(opts));
  Object.assign(env.info, {
    bringUpMs: Math.round(opts.bringUpMs),
    haproxyVersion: /^Version: (.*)$/m.exec(opts.haproxyInfo)?.[1],
    versions: opts.versions,
    ...opts.info,
  });
}
