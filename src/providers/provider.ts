// The provider seam: how an environment's services become running things. The runner knows a
// provider only through this interface; local processes and containers are its two kinds.

import type { LogFn, ProviderName } from '../core/types.js';
import type { ContainerRuntime } from './containers/runtime.js';

/** What one run holds of a provider; disposing it releases all of it. */
export interface ProviderRun {
  readonly provider: ProviderName;
  readonly runId: string;
  /** Scratch space for the services' data, removed at the end (or by the next run's sweep). */
  readonly workDir: string;
  /** With the containers provider: the run's network and container factory. */
  readonly containers?: ContainerRuntime | undefined;
  /** Facts for the report (e.g. the image ids the run used). */
  info(): Record<string, unknown>;
  /**
   * Release everything the run still holds. Returns a description of what was left behind and had
   * to be removed here (a leak of the environment's own teardown), or undefined when nothing was.
   */
  close(log: LogFn): Promise<string | undefined>;
}

export interface Provider {
  readonly name: ProviderName;
  /** Remove what dead runs (a SIGKILLed harness) left behind, saying what was removed. */
  sweep(log: LogFn): Promise<void>;
  /** Acquire what a run needs before its environment starts. */
  open(opts: { runId: string; scenario: string }): Promise<ProviderRun>;
}
