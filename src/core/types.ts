// The contracts every part of the harness plugs into: environments, injectors, probes,
// recovery actions. Measurement code depends on these; nothing here formats or prints.

import type { z } from 'zod';
import type { DataFiles } from './data-files.js';
import type { Extensions } from './extensions.js';
import type { StreamCheck } from './report-model.js';

/** Monotonic milliseconds since the run started. One clock for every timestamp in a run. */
export interface Clock {
  now(): number;
  /** Wall-clock ISO time for a monotonic timestamp (for reports). */
  isoAt(ms: number): string;
}

export type Outcome = 'ok' | 'fail' | 'unknown';

/**
 * One operation of a workload. `unknown` means the harness cannot tell whether it took
 * effect (it timed out): such writes are never counted as lost.
 */
export interface OpRecord {
  id: number;
  /**
   * When the open-loop schedule wanted it to start (its slot); `startMs - scheduledMs` is how far
   * the scheduler fell behind. Absent for kinds whose load generator keeps its own schedule (http-load).
   */
  scheduledMs?: number;
  startMs: number;
  endMs: number;
  outcome: Outcome;
  error?: string;
  /** For writes: the key written, so it can be read back after recovery. */
  key?: string;
  /**
   * The part of the system it went to (a Redis Cluster slot range), when the probe spreads its
   * operations over parts: the report then gives RTO and lost writes per group as well.
   */
  group?: string;
}

export interface Endpoint {
  host: string;
  port: number;
}

export type LogFn = (message: string) => void;

/** A harness event with a timestamp; every phase change, injection and recovery is one. */
export interface RunEvent {
  tMs: number;
  type: string;
  message: string;
  iteration?: number;
  data?: Record<string, unknown>;
}

export type EmitEvent = (type: string, message: string, data?: Record<string, unknown>) => void;

/** A running service of a started environment. Roles can change during a run. */
export interface StartedService {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /**
   * Its data files by key (see core/data-files.ts), reached the provider's way: never a path that
   * assumes where the service runs. Absent: it declares none (`dataFilesOf` gives an empty set).
   */
  readonly files?: DataFiles | undefined;
  /** The role now (asks the stack when roles are dynamic), or undefined when it has none. */
  role(signal?: AbortSignal): Promise<string | undefined>;
  /**
   * What the provider calls the running thing ("pid 4242", "container 3f2a1b9c04d1"), for reports;
   * undefined when not running. Only providers know what it means.
   */
  id(): string | undefined;
  running(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Send a signal without waiting for an exit (SIGHUP, SIGUSR1, one the service handles). */
  signal(sig: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Start again after a stop or kill; resolves when ready. */
  start(signal?: AbortSignal): Promise<void>;
  restart(signal?: AbortSignal): Promise<void>;
  /** Resolves when the readiness check passes. */
  waitReady(signal?: AbortSignal): Promise<void>;
  /**
   * Cut the service off from the other services of its environment at the network level (their
   * packets dropped both ways, nothing refused), while clients on the harness's host still reach
   * it; disposing the handle heals. Only providers that can do it implement it (containers);
   * `network-partition` uses the fault proxy otherwise.
   */
  isolate?(signal?: AbortSignal): Promise<AsyncDisposable & { readonly details: Record<string, unknown> }>;
}

export interface TargetSelector {
  service?: string | undefined;
  role?: string | undefined;
}

export interface StartedEnvironment extends AsyncDisposable {
  readonly name: string;
  /** Directory for logs and artefacts of this run (kept). */
  readonly runDir: string;
  /** Directory for data of this run (removed on dispose). */
  readonly workDir: string;
  readonly services: ReadonlyMap<string, StartedService>;
  /** Resolve a service by name or by its role at this moment ("whatever is primary now"). */
  resolve(target: TargetSelector, signal?: AbortSignal): Promise<StartedService>;
  /** Facts measured while bringing the environment up, e.g. { bringUpMs }. */
  readonly info: Record<string, unknown>;
  /**
   * What this kind of stack offers beyond services, by typed key (src/core/extensions.ts): a
   * database controller (src/stacks/postgres.ts), a Sentinel topology, S3 backups, a deploy
   * pipeline; and the conventions the runner and generic injectors use: WAIT_HEALTHY (awaited
   * between iterations), FAULT_PROXY (src/proxy/routing.ts).
   */
  readonly extensions: Extensions;
}

/** What every injector, probe and action gets. */
export interface RunContext {
  env: StartedEnvironment;
  clock: Clock;
  signal: AbortSignal;
  log: LogFn;
  emit: EmitEvent;
  runDir: string;
  /** Runs a user's command on the harness's host, owned by the run (absent: the provider has none). */
  commands?: HostCommands;
}

/** A command a scenario names (a fault, a probe's check, a restore script), run on the harness's host. */
export interface HostCommand {
  /** For messages and the run record ("fault command", "probe health"). */
  name: string;
  /** Program and arguments, run without a shell; or one script for `/bin/sh -c` with `shell: true`. */
  argv: readonly string[];
  shell?: boolean;
  /** Default: the environment's folder. */
  cwd?: string;
  /** Added to the harness's environment. */
  env?: Readonly<Record<string, string>>;
  /** Then it is stopped (SIGTERM, SIGKILL after killGraceMs) and its result says `timedOut`. */
  timeoutMs: number;
  killGraceMs?: number;
  /** stdout and stderr are appended here as well (default: kept in memory only, as the tail). */
  outputFile?: string;
  /** Bytes of output kept as `tail` (default 2048). */
  tailBytes?: number;
}

export interface HostCommandResult {
  /** null when it ended by a signal (or timed out, or was aborted). */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The end of stdout and stderr interleaved, at most `tailBytes`. */
  tail: string;
}

/**
 * The seam through which kinds run a user's commands without knowing what a process is: the
 * provider runs them so that nothing they start outlives the run (killed when the command ends, on
 * timeout and on abort, and found by the next run's sweep after a SIGKILL of the harness).
 */
export interface HostCommands {
  /**
   * Resolves when the command has ended, whatever its exit code. Rejects when it could not be
   * started (a missing program) or when `signal` aborted (after it is stopped).
   */
  run(cmd: HostCommand, signal: AbortSignal): Promise<HostCommandResult>;
}

/** An applied fault. Disposing it reverts what can be reverted and brings killed parts back. */
export interface InjectedFault extends AsyncDisposable {
  description: string;
  /** false for faults that cannot be undone in place (a kill, a corruption). */
  reversible: boolean;
  /** What the fault did, for the report (pids, offsets, seed, ...). */
  details: Record<string, unknown>;
  /** For faults with their own duration (pause for 5s): resolves when that ends. */
  ended?: Promise<void>;
}

export interface Injector<P = unknown> {
  /** zod schema of the scenario fields for this kind (besides kind/at/target). */
  params: z.ZodType<P>;
  /** Acts through the fault proxy: a scenario on an environment without one is rejected at load time. */
  needsFaultProxy?: boolean;
  /** Its fault runs and reports its own recovery steps (a pipeline's rollback): recovery-time is measurable. */
  runsOwnRecovery?: boolean;
  describe?(params: P): string;
  inject(ctx: RunContext, params: P, target: TargetSelector): Promise<InjectedFault>;
}

export interface VerifyResult {
  /** Keys of acknowledged or unknown writes that are present after recovery. */
  present: ReadonlySet<string>;
  /** Keys that could be checked at all (usually every key written). */
  checked: number;
  /** A stream's read-back: duplicates, order, the bus's buffer (eventbus). */
  stream?: StreamCheck;
}

/** A running workload. Ops are recorded by the open-loop scheduler. */
export interface RunningProbe extends AsyncDisposable {
  readonly name: string;
  readonly kind: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  ops(): readonly OpRecord[];
  /** Stop issuing operations; waits for in-flight ones to settle. */
  stop(): Promise<void>;
  /** Write workloads: read back every key written. */
  verify?(signal: AbortSignal): Promise<VerifyResult>;
  /** Extra per-probe samples for the report (e.g. replication lag), keyed by series name. */
  samples?(): Record<string, readonly { tMs: number; value: number }[]>;
  /** Extra facts for the report (e.g. requested vs achieved rate). */
  summary?(): Record<string, unknown>;
  /**
   * Why the probe stopped working (its client ended for good), or undefined while it works.
   * The run then ends ERROR naming the probe: a broken instrument is never a failure of the stack.
   */
  failure?(): string | undefined;
}

export interface Probe<P = unknown> {
  params: z.ZodType<P>;
  /**
   * What it can measure besides operations, declared so that a target it cannot measure is rejected
   * at load time: `readsWritesBack` (it has verify(): rpo, lost-writes, lost-writes-after-fault) and
   * the names of the series its samples() returns (series-p95:<name>, series-max:<name>).
   */
  readsWritesBack?: boolean;
  /** Its verify() reads a stream back (duplicate-events, out-of-order-events, drain-time). */
  checksStream?: boolean;
  series?: readonly string[];
  start(ctx: RunContext, params: P, common: ProbeCommon): Promise<RunningProbe>;
}

export interface ProbeCommon {
  name: string;
  intervalMs: number;
  timeoutMs: number;
  target: TargetSelector;
}

export interface RecoveryStep {
  name: string;
  startMs: number;
  endMs: number;
  detail?: string;
}

/**
 * What a restore verified: the restored tables compared with the content they had before the
 * fault (row counts and checksums). restore-rows-lost and restore-checksum-mismatches judge it.
 */
export interface RestoreVerification {
  tablesCompared: number;
  rowsCompared: number;
  /** Rows of the tables whose checksum matched. */
  rowsMatched: number;
  /** Rows missing after the restore (a missing table loses all of its rows). */
  rowsLost: number;
  /** Tables whose checksum after the restore differs (or that are missing). */
  checksumMismatches: number;
}

export interface RecoveryResult {
  steps: RecoveryStep[];
  details?: Record<string, unknown>;
  /** Set by actions that verify what they restored (postgres-restore). */
  verification?: RestoreVerification;
}

/** What a recovery action knows about the incident it answers, as an operator would. */
export interface Incident {
  /** The iteration's first fault (its details), if any. */
  fault: InjectedFault | undefined;
  /** When injection started (monotonic ms): "restore to before the incident" uses it. */
  injectStartMs: number;
  /**
   * The first `detected` event since injection (a probe saw damage or lost data), looked up when
   * called, so an action can wait for it. Its `data.what` says which: 'damage' | 'data-loss'.
   */
  detection(): RunEvent | undefined;
}

/** A named recovery action a scenario can ask for (restore from backup, roll back). */
export interface RecoveryAction<P = unknown> {
  params: z.ZodType<P>;
  run(ctx: RunContext, params: P, incident: Incident): Promise<RecoveryResult>;
}

/** How services become running things: local processes, or Docker containers. */
export type ProviderName = 'local' | 'containers';
export const PROVIDERS: readonly ProviderName[] = ['local', 'containers'];

/** A service as an environment declares it before starting anything (for load-time checks). */
export interface ServiceDescription {
  name: string;
  /** Every role it can have during a run (roles change: a replica becomes primary). */
  roles?: readonly string[];
  /** Clients reach it through the fault proxy, so network faults can act on it. */
  faultProxy?: boolean;
  /** The provider can cut it off at the network level (`isolate()`), so a partition needs no proxy. */
  isolatable?: boolean;
}

// Registry entries differ in their params type; the registry validates params with each
// entry's own schema before calling it, so `any` here loses nothing at run time.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyInjector = Injector<any>;
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyProbe = Probe<any>;
// biome-ignore lint/suspicious/noExplicitAny: see above
export type AnyRecoveryAction = RecoveryAction<any>;
