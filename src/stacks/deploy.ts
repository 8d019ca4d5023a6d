// The contract between a stack with a deploy pipeline (the system under test) and the `deploy`
// fault kind: how to run the pipeline, and how to see and undo what it left live.

import { extensionKey } from '../core/extensions.js';

/** One run of the pipeline, started by the environment. */
export interface PipelineRun {
  readonly running: boolean;
  /** Resolves when the pipeline ends (at once when it could not start). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set when it could not be started at all (a missing command). */
  readonly startError: Error | undefined;
  /** Ask it to stop, force it after graceMs; resolves once it has ended. */
  stop(graceMs: number): Promise<unknown>;
}

export interface DeployPipeline {
  /** argv of the pipeline; the injector appends `--version <v>` and `extraArgs`. */
  command: readonly string[];
  /** The run's id: the leak sweep finds the pipeline and whatever it starts by it. */
  runId: string;
  logDir: string;
  /** Starts `argv` with its stdout and stderr appended to `logFile`. */
  run(argv: readonly string[], opts: { name: string; logFile: string }): PipelineRun;
  /** Which slot takes traffic now, and its version. */
  liveVersion(signal?: AbortSignal): Promise<{ slot: string; version: string | null }>;
  /** Send traffic back to `slot` and stop the other one: undoes a failed deploy left live. */
  restore(slot: string, signal?: AbortSignal): Promise<void>;
}

export const DEPLOY = extensionKey<DeployPipeline>('deploy', 'deploy pipeline');
