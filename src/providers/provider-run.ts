// Turns what a provider opened into the run the lifecycle drives: it starts the environment with
// the run's work directory, containers runtime and loopback ports, none of which the lifecycle sees.

import getPort, { portNumbers } from 'get-port';
import { HarnessError } from '../core/errors.js';
import type { ProviderRun } from '../core/provider.js';
import { hostCommands } from './local/host-commands.js';
import type { OpenedRun } from './provider.js';
import { startEnvironment } from './start-environment.js';

/** The variable that confines a run's loopback ports to a range, "from-to" (`suite --jobs` sets it). */
export const PORT_RANGE_ENV = 'CHAOS_HARNESS_PORTS';

/**
 * The ports a run may take from $CHAOS_HARNESS_PORTS, else any free one the system hands out.
 * Runs of one suite side by side each get a range of their own, so one run never takes a port
 * another has chosen but not yet bound.
 */
export function portRange(value = process.env[PORT_RANGE_ENV]): number[] | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d+)-(\d+)$/.exec(value);
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1024 || to > 65535 || to < from)
    throw new HarnessError(
      'INVALID_INPUT',
      `$${PORT_RANGE_ENV} is "${value}": expected a port range "from-to" within 1024-65535, from <= to`,
    );
  return [...portNumbers(from, to)];
}

export function providerRun(opened: OpenedRun): ProviderRun {
  const usedPorts = new Set<number>();
  const range = portRange();
  const freePort = async () => {
    const p = await getPort({ host: '127.0.0.1', exclude: usedPorts, ...(range ? { port: range } : {}) });
    usedPorts.add(p);
    return p;
  };
  // The scenario's own commands run on the harness's host with either provider, in the environment's
  // folder (like a service's `cwd: .`), owned by this run like its services.
  let envDir: string | undefined;
  return {
    provider: opened.provider,
    runId: opened.runId,
    info: () => opened.info(),
    close: (log) => opened.close(log),
    commands: hostCommands({ runId: opened.runId, defaultCwd: () => envDir }),
    startEnvironment: (env, run) => {
      envDir = env.dir;
      return startEnvironment(
        {
          provider: opened.provider,
          containers: opened.containers,
          name: env.name,
          dir: env.dir,
          runDir: run.runDir,
          workDir: opened.workDir,
          runId: opened.runId,
          clock: run.clock,
          signal: run.signal,
          log: run.log,
          emit: run.emit,
          freePort,
        },
        env.options,
        env.scenarioFile,
      );
    },
  };
}
