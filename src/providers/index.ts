// The providers by name: a run picks one; every provider's sweep runs before any run starts.

import type { Provider } from '../core/provider.js';
import type { ProviderName } from '../core/types.js';
import { ContainerRuntime } from './containers/runtime.js';
import { sweepDeadContainerRuns } from './containers/sweep.js';
import { openLocalRun } from './local/local-run.js';
import { cleanupStaleRuns } from './local/run-registry.js';
import { providerRun } from './provider-run.js';
import { requireProvider } from './start-environment.js';

export const localProvider: Provider = {
  name: 'local',
  checkEnvironment: (env) => requireProvider(env.dir, env.name, 'local'),
  async sweep(log) {
    await cleanupStaleRuns(log);
  },
  async open(opts) {
    return providerRun(await openLocalRun(opts));
  },
};

export const containersProvider: Provider = {
  name: 'containers',
  checkEnvironment: (env) => requireProvider(env.dir, env.name, 'containers'),
  async sweep(log) {
    await sweepDeadContainerRuns(log);
  },
  async open(opts) {
    // The run's record and work directory are the local provider's (bind-mounted into containers).
    const local = await openLocalRun(opts);
    let containers: ContainerRuntime;
    try {
      containers = await ContainerRuntime.open(opts.runId);
    } catch (err) {
      await local.close(() => {});
      throw err;
    }
    return providerRun({
      provider: 'containers',
      runId: opts.runId,
      workDir: local.workDir,
      containers,
      info: () => ({ network: containers.network, images: containers.images }),
      async close(log) {
        try {
          await containers[Symbol.asyncDispose]();
        } catch (err) {
          log(`teardown of containers: ${(err as Error).message}`);
        }
        return local.close(log);
      },
    });
  },
};

export const builtinProviders = {
  local: localProvider,
  containers: containersProvider,
} satisfies Record<ProviderName, Provider>;
