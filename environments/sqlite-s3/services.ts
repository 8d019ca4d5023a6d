// StartedService implementations for this environment: the trade store (a local process or a
// container) and the S3 server that runs inside the harness process (local provider).
import { setTimeout as sleep } from 'node:timers/promises';
import S3rver from 's3rver';
import type { DataFiles } from '../../src/core/data-files.js';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService } from '../../src/core/types.js';
import type { ServiceRunner } from '../../src/providers/service-runner.js';

/** Polls `url` until it answers 200; bounded by timeoutMs and signal; fails fast if the process exits. */
export async function waitHttpOk(
  url: string,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined; exited?: () => boolean; what: string },
): Promise<void> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  let last = 'no answer';
  while (!signal.aborted) {
    if (opts.exited?.()) throw new HarnessError('PROCESS_EXITED', `${opts.what} exited before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(1000)]) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50, undefined, { signal }).catch(() => undefined);
  }
  if (opts.signal?.aborted) throw new HarnessError('INTERRUPTED', `${opts.what}: wait for ${url} aborted`);
  throw new HarnessError(
    'NOT_READY',
    `${opts.what}: ${url} not ready after ${opts.timeoutMs}ms (last: ${last})`,
  );
}

export class TradeStoreService implements StartedService {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly files: DataFiles;
  readonly #proc: ServiceRunner;
  readonly #readyTimeoutMs: number;

  /** `files`: the database under `db` (on the host, or in the container). */
  constructor(name: string, proc: ServiceRunner, http: Endpoint, files: DataFiles, readyTimeoutMs: number) {
    this.name = name;
    this.#proc = proc;
    this.endpoints = { http };
    this.files = files;
    this.#readyTimeoutMs = readyTimeoutMs;
  }

  get baseUrl(): string {
    const { host, port } = this.endpoints.http!;
    return `http://${host}:${port}`;
  }

  async role(): Promise<string | undefined> {
    return 'primary';
  }
  id(): string | undefined {
    return this.#proc.id();
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    await this.#proc.signal(sig);
  }
  running(): boolean {
    return this.#proc.running;
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#proc.kill(signal);
  }
  async stop(graceMs = 5000): Promise<void> {
    await this.#proc.stop(graceMs);
  }
  async pause(): Promise<void> {
    await this.#proc.pause();
  }
  async resume(): Promise<void> {
    await this.#proc.resume();
  }
  async start(signal?: AbortSignal): Promise<void> {
    await this.#proc.start();
    // A container that could not be created or started says why (a process reports it on exit).
    if (this.#proc.startError && !this.#proc.running) throw this.#proc.startError;
    try {
      await this.waitReady(signal);
    } catch (err) {
      await this.#proc.stop(2000);
      throw err;
    }
  }
  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }
  /** Ready = listening. The database may still be broken: /health tells that, not readiness. */
  async waitReady(signal?: AbortSignal): Promise<void> {
    await waitHttpOk(`${this.baseUrl}/ready`, {
      timeoutMs: this.#readyTimeoutMs,
      signal,
      exited: () => !this.#proc.running,
      what: this.name,
    });
  }
}

/**
 * s3rver in the harness process. It has no pid of its own, so process signals are refused;
 * stop/kill close the listener (S3 down), start listens again on the same port.
 */
export class InProcessS3 implements StartedService {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Where s3rver keeps its objects (a directory: no data file a fault could target). */
  readonly directory: string;
  #server: S3rver | undefined;

  private constructor(name: string, port: number, directory: string) {
    this.name = name;
    this.endpoints = { http: { host: '127.0.0.1', port } };
    this.directory = directory;
  }

  static async start(name: string, port: number, directory: string): Promise<InProcessS3> {
    const s3 = new InProcessS3(name, port, directory);
    await s3.start();
    return s3;
  }

  get url(): string {
    return `http://127.0.0.1:${this.endpoints.http!.port}`;
  }

  async role(): Promise<string | undefined> {
    return 'backup-store';
  }
  id(): string | undefined {
    return this.#server === undefined ? undefined : 'in-process s3rver';
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    throw new HarnessError('INJECTION_FAILED', `${this.name} runs inside the harness: it cannot take ${sig}`);
  }
  running(): boolean {
    return this.#server !== undefined;
  }
  async kill(): Promise<void> {
    await this.stop();
  }
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close();
  }
  async pause(): Promise<void> {
    throw new HarnessError('INJECTION_FAILED', `${this.name} runs inside the harness and cannot be paused`);
  }
  async resume(): Promise<void> {}
  async start(): Promise<void> {
    if (this.#server) return;
    const server = new S3rver({
      address: '127.0.0.1',
      port: this.endpoints.http!.port,
      silent: true,
      directory: this.directory,
    });
    await server.run();
    this.#server = server;
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
  async waitReady(): Promise<void> {
    if (!this.#server) throw new HarnessError('NOT_READY', `${this.name} is stopped`);
  }
}
