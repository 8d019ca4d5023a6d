import { readFileSync } from 'node:fs';
import type { DataFiles } from '../core/data-files.js';
import { HarnessError } from '../core/errors.js';
import type { EmitEvent, Endpoint, StartedService } from '../core/types.js';
import { ManagedProcess, type ProcessSpec } from './local/managed-process.js';
import { type ReadyCheck, waitUntilReady } from './local/readiness.js';
import type { ServiceRunner } from './service-runner.js';

export interface RestartPolicy {
  policy: 'never' | 'on-failure' | 'always';
  delayMs: number;
  /** Each consecutive restart waits this many times longer (default 1: always delayMs). */
  backoff?: number | undefined;
  maxDelayMs?: number | undefined;
  /** Consecutive restarts before giving up (default: no limit). */
  maxRestarts?: number | undefined;
  /** A run this long counts the next exit as a first one again (default 60 s). */
  resetAfterMs?: number | undefined;
}

export interface SupervisedServiceOptions {
  name: string;
  /** A local process to run, or any other runner (a container). */
  process?: ProcessSpec;
  runner?: ServiceRunner;
  endpoints?: Record<string, Endpoint>;
  /** Its data files (localDataFiles for a process, containerDataFiles for a container). */
  files?: DataFiles;
  /** A static role, or a function that asks the stack. */
  role?: string | ((signal?: AbortSignal) => Promise<string | undefined>);
  ready?: { check: ReadyCheck; timeoutMs: number; intervalMs: number };
  restart?: RestartPolicy;
  stopGraceMs?: number;
  emit?: EmitEvent;
  /** Where the provider can cut the service off at the network level (containers). */
  isolate?: NonNullable<StartedService['isolate']>;
}

/** Last lines of a log, for error messages about a service that died. */
export function logTail(file: string, lines = 15): string {
  try {
    const all = readFileSync(file, 'utf8').trimEnd().split('\n');
    return all.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * A supervised service: a local process, or a container (any ServiceRunner). Supervises it like
 * systemd's Restart=: when it dies
 * unexpectedly and the policy says so, it is started again after `delayMs`. The harness's
 * own stop() never triggers a restart.
 */
export class SupervisedService implements StartedService, AsyncDisposable {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly files: DataFiles | undefined;
  readonly proc: ServiceRunner;
  readonly #opts: SupervisedServiceOptions;
  #intentionalStop = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #disposed = false;
  /** Number of restarts done by the restart policy. */
  restarts = 0;
  /** Restarts since the harness last started the service: what backoff and the limit count. */
  #consecutive = 0;
  #startedAt = performance.now();
  isolate?: NonNullable<StartedService['isolate']>;

  constructor(opts: SupervisedServiceOptions) {
    this.#opts = opts;
    this.name = opts.name;
    this.endpoints = opts.endpoints ?? {};
    this.files = opts.files;
    const runner = opts.runner ?? (opts.process ? new ManagedProcess(opts.process) : undefined);
    if (!runner)
      throw new HarnessError('INTERNAL', `service "${opts.name}" has neither a process nor a runner`);
    this.proc = runner;
    if (opts.isolate) this.isolate = opts.isolate;
    this.proc.onExit((info) => this.#onExit(info.code, info.signal));
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.#intentionalStop || this.#disposed) return;
    this.#opts.emit?.('service-exit', `${this.name} exited (${how})`, { service: this.name, code, signal });
    const r = this.#opts.restart;
    if (!r || r.policy === 'never' || (r.policy === 'on-failure' && code === 0)) return;
    if (performance.now() - this.#startedAt >= (r.resetAfterMs ?? 60_000)) this.#consecutive = 0;
    if (r.maxRestarts !== undefined && this.#consecutive >= r.maxRestarts) {
      this.#opts.emit?.(
        'service-restart-limit',
        `${this.name} not restarted: ${this.#consecutive} consecutive restarts reached its limit (${r.maxRestarts})`,
        { service: this.name, restarts: this.#consecutive },
      );
      return;
    }
    const delayMs = Math.round(
      Math.min(r.delayMs * (r.backoff ?? 1) ** this.#consecutive, r.maxDelayMs ?? Number.POSITIVE_INFINITY),
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#disposed || this.#intentionalStop || this.proc.running) return;
      this.restarts++;
      this.#consecutive++;
      this.#startedAt = performance.now();
      this.#opts.emit?.(
        'service-restart',
        `${this.name} restarted by its restart policy after ${delayMs}ms`,
        {
          service: this.name,
          delayMs,
          consecutive: this.#consecutive,
        },
      );
      Promise.resolve()
        .then(() => this.proc.start())
        .catch(() => {
          // reported through the next exit
        });
    }, delayMs);
  }

  async role(signal?: AbortSignal): Promise<string | undefined> {
    const r = this.#opts.role;
    return typeof r === 'function' ? r(signal) : r;
  }

  id(): string | undefined {
    return this.proc.id();
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    await this.proc.signal(sig);
  }

  running(): boolean {
    return this.proc.running;
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.#intentionalStop = false;
    this.#consecutive = 0;
    this.#startedAt = performance.now();
    if (!this.proc.running) await this.proc.start();
    await this.waitReady(signal);
  }

  async waitReady(signal?: AbortSignal): Promise<void> {
    const ready = this.#opts.ready;
    try {
      if (ready) {
        await waitUntilReady(`service "${this.name}"`, ready.check, {
          timeoutMs: ready.timeoutMs,
          intervalMs: ready.intervalMs,
          signal,
          alive: () => this.proc.running,
        });
      } else if (!this.proc.running) {
        throw new HarnessError('PROCESS_EXITED', `service "${this.name}" is not running`);
      }
    } catch (err) {
      if (this.proc.startError) throw this.proc.startError;
      const tail = logTail(this.proc.logFile);
      if (err instanceof HarnessError && tail) {
        throw new HarnessError(err.code, `${err.message}\nlast lines of ${this.proc.logFile}:\n${tail}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.proc.kill(sig);
  }

  async stop(graceMs = this.#opts.stopGraceMs ?? 5000): Promise<void> {
    this.#intentionalStop = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    await this.proc.stop(graceMs);
  }

  async pause(): Promise<void> {
    await this.proc.pause();
  }

  async resume(): Promise<void> {
    await this.proc.resume();
  }

  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#disposed = true;
    await this.stop();
  }
}
