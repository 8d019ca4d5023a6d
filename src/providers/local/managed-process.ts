import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { within } from '../../core/within.js';
import type { ExitInfo, ServiceRunner } from '../service-runner.js';
import { RUN_MARKER_ENV, recordSpawn } from './run-registry.js';

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
  /** The Debian package that provides `command`, named when it is missing (default: DEBIAN_PACKAGES). */
  debianPackage?: string;
}

/** Server binaries the built-in environments run, and the Debian package of each. */
export const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  'redis-server': 'redis-server',
  'redis-sentinel': 'redis-sentinel',
  pg_autoctl: 'pg-auto-failover-cli',
  postgres: 'postgresql-15',
  pg_ctl: 'postgresql-15',
  initdb: 'postgresql-15',
  haproxy: 'haproxy',
};

/** `"redis-server" was not found: install the Debian package redis-server (apt-get install redis-server)`. */
export function missingBinaryMessage(name: string, command: string, debianPackage?: string): string {
  const pkg = debianPackage ?? DEBIAN_PACKAGES[basename(command)];
  const hint = pkg
    ? `: install the Debian package ${pkg} (apt-get install ${pkg})`
    : ': install it or put its directory on PATH';
  return `${name}: "${command}" was not found${hint}`;
}

export type { ExitInfo } from '../service-runner.js';

const userIds = new Map<string, { uid: number; gid: number }>();

/** `name:x:uid:gid:...` lines of a passwd database. */
export function findPasswdEntry(passwd: string, user: string): { uid: number; gid: number } | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/**
 * uid/gid of a local user, from /etc/passwd (no `id` or `getent` on PATH needed); users known
 * only to NSS (LDAP, ...) are asked of `getent passwd`. The error says which of these failed.
 */
export function lookupUser(user: string, passwdFile = '/etc/passwd'): { uid: number; gid: number } {
  const cached = userIds.get(`${passwdFile}:${user}`);
  if (cached) return cached;
  let passwd = '';
  let readError: string | undefined;
  try {
    passwd = readFileSync(passwdFile, 'utf8');
  } catch (err) {
    readError = (err as Error).message;
  }
  let ids = findPasswdEntry(passwd, user);
  let nss: string;
  if (!ids) {
    try {
      ids = findPasswdEntry(
        execFileSync('getent', ['passwd', user], { encoding: 'utf8', timeout: 5000 }),
        user,
      );
      nss = 'nor known to `getent passwd`';
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { status?: number };
      nss =
        e.code === 'ENOENT'
          ? 'and `getent` is not on PATH to ask NSS (LDAP, ...)'
          : `nor known to \`getent passwd\` (exit ${e.status ?? e.code})`;
    }
    if (!ids) {
      const where = readError
        ? `${passwdFile} could not be read (${readError})`
        : `it is not in ${passwdFile}`;
      throw new HarnessError(
        'USER_NOT_FOUND',
        `user "${user}" is needed to run a server as non-root, but ${where} ${nss}` +
          (user === 'postgres' ? '; the Debian package postgresql-common creates it' : ''),
      );
    }
  }
  userIds.set(`${passwdFile}:${user}`, ids);
  return ids;
}

/**
 * A child process in its own process group (detached), so a "whole node" kill is one
 * group signal and Ctrl-C in the terminal reaches the harness, not the services: the
 * harness decides the order of teardown. The harness stays the parent, so it reaps.
 */
export class ManagedProcess implements ServiceRunner {
  readonly spec: ProcessSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<ExitInfo> | undefined;
  #lastExit: ExitInfo | undefined;
  #exitListeners = new Set<(info: ExitInfo) => void>();

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  get startError(): Error | undefined {
    return this.spawnError;
  }

  id(): string | undefined {
    const pid = this.pid;
    return pid === undefined ? undefined : `pid ${pid}`;
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
    if (child.pid !== undefined) recordSpawn(spec.runId, child.pid, spec.name);
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
          ? new HarnessError(
              'BINARY_MISSING',
              missingBinaryMessage(spec.name, spec.command, spec.debianPackage),
              {
                cause: err,
              },
            )
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
