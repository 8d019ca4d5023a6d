// A slot (blue or green) as a StartedService. Its process may have been started by the
// environment or by the deploy pipeline, so control goes through the pid in the state file.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService } from '../../src/core/types.js';
import { ManagedProcess } from '../../src/providers/local/managed-process.js';
import { waitUntilReady } from '../../src/providers/local/readiness.js';
import { processStartTicks } from '../../src/providers/local/run-registry.js';
import { liveSlot } from './haproxy-runtime.mjs';
import { readState, type SlotName, slotPid, writeState } from './state.js';

export interface SlotServiceOptions {
  slot: SlotName;
  statePath: string;
  runId: string;
  readyTimeoutMs: number;
}

export class SlotService implements StartedService, AsyncDisposable {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly dataPaths: Readonly<Record<string, string>> = {};
  readonly #opts: SlotServiceOptions;
  /** Processes this service started: kept so they are reaped, not left as zombies. */
  readonly #procs: ManagedProcess[] = [];

  constructor(opts: SlotServiceOptions) {
    this.#opts = opts;
    this.name = opts.slot;
    this.endpoints = { http: { host: '127.0.0.1', port: readState(opts.statePath).slots[opts.slot].port } };
  }

  /** `live` when HAProxy sends it traffic, `idle` otherwise. */
  async role(): Promise<string | undefined> {
    const s = readState(this.#opts.statePath);
    return (await liveSlot(s.socket, s.backend)) === this.name ? 'live' : 'idle';
  }

  #pid(): number | undefined {
    return slotPid(readState(this.#opts.statePath).slots[this.#opts.slot]);
  }

  id(): string | undefined {
    const pid = this.#pid();
    return pid === undefined ? undefined : `pid ${pid}`;
  }

  running(): boolean {
    return this.#pid() !== undefined;
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    this.#signal(sig);
  }

  /** Starts the slot's recorded version (after a kill or stop). */
  async start(signal?: AbortSignal): Promise<void> {
    const state = readState(this.#opts.statePath);
    const slot = state.slots[this.#opts.slot];
    if (slot.version === null)
      throw new HarnessError('NOT_READY', `slot ${this.name} has no version deployed`);
    if (this.#pid() === undefined) {
      const proc = new ManagedProcess({
        name: `app-${this.name}`,
        command: process.execPath,
        args: [
          state.appScript,
          '--port',
          String(slot.port),
          '--version',
          slot.version,
          '--slot',
          this.name,
          ...state.appArgs,
        ],
        logFile: join(state.logDir, `${this.name}-${Date.now()}.log`),
        runId: this.#opts.runId,
      });
      proc.start();
      this.#procs.push(proc);
      const pid = proc.pid as number;
      state.slots[this.#opts.slot] = {
        ...slot,
        pid,
        startTicks: processStartTicks(pid),
        log: proc.spec.logFile,
      };
      writeState(this.#opts.statePath, state);
    }
    await this.waitReady(signal);
  }

  async waitReady(signal?: AbortSignal): Promise<void> {
    await waitUntilReady(
      `slot ${this.name}`,
      { kind: 'http', url: `http://127.0.0.1:${this.endpoints.http?.port}/health`, status: 200 },
      { timeoutMs: this.#opts.readyTimeoutMs, intervalMs: 50, signal, alive: () => this.running() },
    );
  }

  #signal(sig: NodeJS.Signals): boolean {
    const pid = this.#pid();
    if (pid === undefined) return false;
    try {
      // Slots run in their own process group (detached), like ManagedProcess children.
      process.kill(-pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  async #gone(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.running() && performance.now() < deadline) await sleep(20);
    return !this.running();
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (sig === 'SIGKILL') this.#signal('SIGCONT');
    if (this.#signal(sig) && (sig === 'SIGKILL' || sig === 'SIGTERM')) await this.#gone(5000);
  }

  async stop(graceMs = 3000): Promise<void> {
    this.#signal('SIGCONT');
    if (!this.#signal('SIGTERM')) return;
    if (!(await this.#gone(graceMs))) {
      this.#signal('SIGKILL');
      await this.#gone(5000);
    }
  }

  async pause(): Promise<void> {
    this.#signal('SIGSTOP');
  }

  async resume(): Promise<void> {
    this.#signal('SIGCONT');
  }

  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }

  async vacate(): Promise<void> {
    await this.stop();
    const s = readState(this.#opts.statePath);
    s.slots[this.#opts.slot] = { ...s.slots[this.#opts.slot], pid: null, startTicks: null };
    writeState(this.#opts.statePath, s);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await Promise.all(this.#procs.map((p) => p.stop(2000)));
  }
}
