// Turns what a provider opened into the run the lifecycle drives: it starts the environment with
// the run's work directory, containers runtime and loopback ports, none of which the lifecycle sees.

import getPort from 'get-port';
import type { ProviderRun } from '../core/provider.js';
import { hostCommands } from './local/host-commands.js';
import type { OpenedRun } from './provider.js';
import { startEnvironment } from './start-environment.js';

export function providerRun(opened: OpenedRun): ProviderRun {
  const usedPorts = new Set<number>();
  const freePort = async () => {
    const p = await getPort({ host: '127.0.0.1', exclude: usedPorts });
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
