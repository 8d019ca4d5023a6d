// The provider as the lifecycle sees it: something that cleans up after dead runs, opens a run and
// starts an environment in it. What a provider runs things as (processes, containers), where their
// data lives and how it finds leftovers stay behind this interface (src/providers implements it).

import type { Clock, EmitEvent, HostCommands, LogFn, ProviderName, StartedEnvironment } from './types.js';

/** The environment a scenario names, as the lifecycle hands it to a provider. */
export interface EnvironmentRequest {
  /** Its folder name under environments/. */
  name: string;
  /** Its folder. */
  dir: string;
  /** The scenario's `environmentOptions`, not yet validated. */
  options: Record<string, unknown> | undefined;
  /** Named in errors about those options. */
  scenarioFile: string;
}

/** What a provider gets from the run when it starts the environment. */
export interface EnvironmentStartRequest {
  /** Kept after the run: logs and artefacts. */
  runDir: string;
  clock: Clock;
  signal: AbortSignal;
  log: LogFn;
  emit: EmitEvent;
}

/** What one run holds of a provider; `close` releases all of it. */
export interface ProviderRun {
  readonly provider: ProviderName;
  readonly runId: string;
  /** Bring up the environment inside this run; disposing what it returns stops it. */
  startEnvironment(env: EnvironmentRequest, run: EnvironmentStartRequest): Promise<StartedEnvironment>;
  /** Facts for the report (e.g. the image ids the run used). */
  info(): Record<string, unknown>;
  /** Runs the scenario's own commands as part of this run (RunContext.commands). */
  readonly commands?: HostCommands;
  /**
   * Release everything the run still holds. Returns a description of what was left behind and had
   * to be removed here (a leak of the environment's own teardown), or undefined when nothing was.
   */
  close(log: LogFn): Promise<string | undefined>;
}

export interface Provider {
  readonly name: ProviderName;
  /**
   * Refuse, before anything starts, an environment this provider cannot run (bad input: a
   * HarnessError with code INVALID_INPUT naming the environment and what it supports).
   */
  checkEnvironment(env: { name: string; dir: string }): Promise<void>;
  /** Remove what dead runs (a SIGKILLed harness) left behind, saying what was removed. */
  sweep(log: LogFn): Promise<void>;
  /** Acquire what a run needs before its environment starts. */
  open(opts: { runId: string; scenario: string }): Promise<ProviderRun>;
}

export type Providers = Readonly<Record<ProviderName, Provider>>;
