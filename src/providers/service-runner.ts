// What a supervised service runs on: a local process (ManagedProcess) or a container
// (ManagedContainer). The supervisor (restart policy, readiness, stop) is the same for both.

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceRunner {
  /** Where the service's stdout and stderr go. */
  readonly logFile: string;
  readonly running: boolean;
  /** Resolves when the current run ends (at once when not running). */
  readonly exited: Promise<ExitInfo>;
  /** Set when starting failed (a missing binary or image). */
  readonly startError: Error | undefined;
  /** "pid 4242" or "container 3f2a1b9c04d1"; undefined when not running. */
  id(): string | undefined;
  onExit(listener: (info: ExitInfo) => void): () => void;
  start(): void | Promise<void>;
  /** Send `sig` (to the process group, or the container's main process). */
  signal(sig: NodeJS.Signals): boolean | Promise<boolean>;
  kill(sig?: NodeJS.Signals): Promise<ExitInfo>;
  /** SIGTERM, SIGKILL after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
  pause(): boolean | Promise<boolean>;
  resume(): boolean | Promise<boolean>;
}
