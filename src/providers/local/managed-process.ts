import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { HarnessError } from '../../core/errors.js';
import { within } from '../../core/within.js';
import { RUN_MARKER_ENV } from './run-registry.js';

export interface ProcessSpec {
  /** Used in messages and log names. */
  name: string;
  command: string;
  args: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Inherit the harness's environment (PATH etc.) under `env`. Default true. */
  inheritEnv?: boolean;
  cwd?: string;
  /** Run as this user (needed for PostgreSQL when the harness is root). */
  user?: string | undefined;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Marks the process (and every descendant) as belonging to this run, for the leak sweep. */
  runId: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const userIds = new Map<string, { uid: number; gid: number }>();

/** uid/gid of a local user, or a clear error when it does not exist. */
export function lookupUser(user: string): { uid: number; gid: number } {
  let ids = userIds.get(user);
  if (!ids) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
      ids = { uid, gid };
    } catch (cause) {
      throw new HarnessError('USER_NOT_FOUND', `user "${user}" does not exist on this machine`, { cause });
    }
    userIds.set(user, ids);
  }
  return ids;
}

/**
 * A child process in its own process group (detached), so a "whole node" kill is one
 * group signal and Ctrl-C in the terminal reaches the harness, not the services: the
 * harness decides the order of teardown. The harness stays the parent, so it reaps.
 */
export class ManagedProcess {
  readonly spec: ProcessSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<ExitInfo> | undefined;
  #lastExit: ExitInfo | undefined;
  #exitListeners = new Set<(info: ExitInfo) => void>();

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#lastExit === undefined;
  }

  get lastExit(): ExitInfo | undefined {
    return this.#lastExit;
  }

  /** Resolves when the current process exits (immediately if not running). */
  get exited(): Promise<ExitInfo> {
    return this.#exited ?? Promise.resolve(this.#lastExit ?? { code: null, signal: null });
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  start(): void {
    if (this.running) throw new HarnessError('PROCESS_RUNNING', `${this.spec.name} is already running`);
    const { spec } = this;
    const ids = spec.user && process.getuid?.() === 0 ? lookupUser(spec.user) : undefined;
    const env: Record<string, string> = {};
    if (spec.inheritEnv !== false) {
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    }
    Object.assign(env, spec.env ?? {});
    env[RUN_MARKER_ENV] = spec.runId;
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env,
        detached: true,
        stdio: ['ignore', fd, fd],
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    this.#lastExit = undefined;
    this.#exited = new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo) => {
        if (this.#child !== child || this.#lastExit) return;
        this.#lastExit = info;
        for (const l of this.#exitListeners) l(info);
        resolve(info);
      };
      child.once('exit', (code, signal) => done({ code, signal }));
      child.once('error', (err) => {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        this.spawnError = missing
          ? new HarnessError('BINARY_MISSING', `${spec.name}: "${spec.command}" was not found`, {
              cause: err,
            })
          : err;
        done({ code: null, signal: null });
      });
    });
  }

  /** Set when spawning failed (e.g. the binary does not exist). */
  spawnError: Error | undefined;

  /** Signal the whole process group (the default), or just the main process. */
  signal(sig: NodeJS.Signals, opts: { group?: boolean } = {}): boolean {
    const pid = this.pid;
    if (pid === undefined) return false;
    try {
      process.kill(opts.group === false ? pid : -pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    if (sig === 'SIGKILL') this.signal('SIGCONT');
    this.signal(sig);
    return this.exited;
  }

  /** SIGTERM (or `sig`) to the group, SIGKILL after graceMs. Resolves once reaped. */
  async stop(graceMs = 5000, sig: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    // A paused process cannot act on SIGTERM.
    this.signal('SIGCONT');
    this.signal(sig);
    const exited = this.exited;
    const timedOut = await within(
      exited.then(() => false),
      graceMs,
      true,
    );
    if (timedOut) this.signal('SIGKILL');
    return exited;
  }

  pause(): boolean {
    return this.signal('SIGSTOP');
  }

  resume(): boolean {
    return this.signal('SIGCONT');
  }
}
