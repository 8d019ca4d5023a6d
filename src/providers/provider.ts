// The provider side of the seam. The lifecycle knows a provider only through src/core/provider.ts;
// what a run is made of here (its work directory, the containers runtime) and what an environment
// module gets to start its services stay on this side.

import type { z } from 'zod';
import type {
  Clock,
  EmitEvent,
  LogFn,
  ProviderName,
  ServiceDescription,
  StartedEnvironment,
} from '../core/types.js';
import type { ContainerRuntime } from './containers/runtime.js';

/** What an environment module gets when asked to start. */
export interface EnvironmentStartContext {
  provider: ProviderName;
  /** With the containers provider: the run's network and its container factory. */
  containers?: ContainerRuntime | undefined;
  /** Environment name (its folder under environments/). */
  name: string;
  /** The environment's folder, for files it ships (service scripts, configs). */
  dir: string;
  /** Kept: logs and artefacts. */
  runDir: string;
  /** Removed at teardown: data directories. Owned by root, mode 0755. */
  workDir: string;
  /** Pass as ProcessSpec.runId so the leak sweep finds every process. */
  runId: string;
  clock: Clock;
  signal: AbortSignal;
  log: LogFn;
  emit: EmitEvent;
  /** A free loopback TCP port (not handed out twice in a run). */
  freePort(): Promise<number>;
}

/**
 * A built-in environment written in TypeScript: `environments/<name>/environment.ts`
 * default-exports one. YAML environments (`environment.yaml`) need no code.
 */
export interface EnvironmentModule<O = unknown> {
  description: string;
  options?: z.ZodType<O>;
  /** The providers it can run on (default: local only). */
  providers?: readonly ProviderName[];
  /**
   * The services a start with these (parsed) options brings up, without starting anything: scenarios
   * naming another service or role, or network faults on an environment without a fault proxy, are
   * rejected before the run. Omitted: those checks are skipped for this environment.
   */
  services?(options: O): readonly ServiceDescription[];
  start(ctx: EnvironmentStartContext, options: O): Promise<StartedEnvironment>;
}

/** What a provider opened for one run, before it is wrapped into the lifecycle's ProviderRun. */
export interface OpenedRun {
  readonly provider: ProviderName;
  readonly runId: string;
  /** Scratch space for the services' data, removed at the end (or by the next run's sweep). */
  readonly workDir: string;
  /** With the containers provider: the run's network and container factory. */
  readonly containers?: ContainerRuntime | undefined;
  info(): Record<string, unknown>;
  close(log: LogFn): Promise<string | undefined>;
}
