// A slot (blue or green) on the containers provider, as a StartedService. Its container may have
// been created by the environment or by the deploy pipeline (docker CLI), so the service finds it
// through the id in the state file and controls it through the engine; whether it runs comes from
// the engine's events (ContainerStates).
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService } from '../../src/core/types.js';
import { LABELS } from '../../src/providers/containers/engine.js';
import { waitUntilReady } from '../../src/providers/local/readiness.js';
import { logTail } from '../../src/providers/supervised-service.js';
import type { ContainerStates } from './container-states.js';
import { liveSlot, waitForAddress } from './haproxy-runtime.mjs';
import { containerIp, runSlotContainer } from './slots-docker.mjs';
import { readState, type SlotName, writeState } from './state.js';

const EXIT_TIMEOUT_MS = 10_000;
const RESOLVE_TIMEOUT_MS = 10_000;

export interface ContainerSlotOptions {
  slot: SlotName;
  statePath: string;
  runId: string;
  docker: Docker;
  states: ContainerStates;
  readyTimeoutMs: number;
  /** Whether HAProxy runs: a slot started after bring-up waits until HAProxy resolves it. */
  proxyUp(): boolean;
}

export class ContainerSlotService implements StartedService, AsyncDisposable {
  readonly name: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly dataPaths: Readonly<Record<string, string>> = {};
  readonly #opts: ContainerSlotOptions;

  constructor(opts: ContainerSlotOptions) {
    this.#opts = opts;
    this.name = opts.slot;
    this.endpoints = { http: { host: '127.0.0.1', port: readState(opts.statePath).slots[opts.slot].port } };
  }

  /** `live` when HAProxy sends it traffic, `idle` otherwise. */
  async role(): Promise<string | undefined> {
    const s = readState(this.#opts.statePath);
    return (await liveSlot(s.socket, s.backend)) === this.name ? 'live' : 'idle';
  }

  #containerId(): string | undefined {
    return readState(this.#opts.statePath).slots[this.#opts.slot].container ?? undefined;
  }

  #container(): Docker.Container | undefined {
    const id = this.#containerId();
    return id ? this.#opts.docker.getContainer(id) : undefined;
  }

  id(): string | undefined {
    const id = this.#containerId();
    return id && this.running() ? `container ${id.slice(0, 12)}` : undefined;
  }

  running(): boolean {
    return this.#opts.states.running(this.#containerId());
  }

  async #paused(): Promise<boolean> {
    try {
      return Boolean((await this.#container()?.inspect())?.State.Paused);
    } catch {
      return false;
    }
  }

  async #gone(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.running()) {
      if (performance.now() > deadline) {
        throw new HarnessError(
          'PROCESS_RUNNING',
          `slot ${this.name} (${this.id()}) still runs ${timeoutMs}ms after it was stopped`,
        );
      }
      await sleep(20);
    }
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    if (this.running()) await this.#container()?.kill({ signal: sig });
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running()) return;
    if (sig === 'SIGKILL' && (await this.#paused())) await this.resume();
    await this.#container()
      ?.kill({ signal: sig })
      .catch(() => {});
    if (sig === 'SIGKILL' || sig === 'SIGTERM') await this.#gone(EXIT_TIMEOUT_MS);
  }

  /** Docker's stop: SIGTERM, SIGKILL after graceMs. The container stays, to be started again. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running()) return;
    if (await this.#paused()) await this.resume();
    await this.#container()
      ?.stop({ t: Math.ceil(graceMs / 1000) })
      .catch(() => {});
    await this.#gone(graceMs + EXIT_TIMEOUT_MS);
  }

  async pause(): Promise<void> {
    if (this.running()) await this.#container()?.pause();
  }

  async resume(): Promise<void> {
    await this.#container()
      ?.unpause()
      .catch(() => {}); // not paused
  }

  /**
   * Starts the slot's recorded version: its container again when it still exists (after a kill or
   * stop), else a new one made as the pipeline makes them.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const state = readState(this.#opts.statePath);
    const slot = state.slots[this.#opts.slot];
    if (slot.version === null)
      throw new HarnessError('NOT_READY', `slot ${this.name} has no version deployed`);
    if (!this.running()) {
      const existing = this.#containerId();
      let id: string | undefined;
      if (existing) {
        const before = this.#opts.states.starts(existing);
        const restarted = await this.#opts.docker
          .getContainer(existing)
          .start()
          .then(
            () => true,
            () => false, // removed meanwhile: make a new one
          );
        if (restarted) {
          await this.#opts.states.started(existing, before, EXIT_TIMEOUT_MS);
          id = existing;
        }
      }
      if (!id) {
        const made = await runSlotContainer(state, this.#opts.slot, slot.version);
        state.slots[this.#opts.slot] = { ...slot, container: made.id, log: made.log };
        writeState(this.#opts.statePath, state);
        await this.#opts.states.started(made.id, 0, EXIT_TIMEOUT_MS);
      }
    }
    await this.waitReady(signal);
  }

  async waitReady(signal?: AbortSignal): Promise<void> {
    const s = readState(this.#opts.statePath);
    try {
      await waitUntilReady(
        `slot ${this.name}`,
        { kind: 'http', url: `http://127.0.0.1:${this.endpoints.http?.port}/health`, status: 200 },
        { timeoutMs: this.#opts.readyTimeoutMs, intervalMs: 50, signal, alive: () => this.running() },
      );
      // A restarted container may have another address; HAProxy must have it before it is "ready".
      const id = this.#containerId();
      if (id && this.#opts.proxyUp() && s.containers) {
        const ip = await containerIp(id, s.containers.network);
        await waitForAddress(s.socket, s.backend, this.name, ip, RESOLVE_TIMEOUT_MS);
      }
    } catch (err) {
      const log = s.slots[this.#opts.slot].log;
      const tail = log ? logTail(log) : '';
      if (err instanceof HarnessError && tail) {
        throw new HarnessError(err.code, `${err.message}\nlast lines of ${log}:\n${tail}`, { cause: err });
      }
      throw err;
    }
  }

  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }

  /** Removes the slot's container (traffic must already be elsewhere); the slot is then empty. */
  async vacate(): Promise<void> {
    await this.#removeAll();
    const state = readState(this.#opts.statePath);
    const slot = state.slots[this.#opts.slot];
    state.slots[this.#opts.slot] = { ...slot, container: null, pid: null, startTicks: null };
    writeState(this.#opts.statePath, state);
  }

  /** Every container of this slot in the run, also ones a pipeline killed midway left behind. */
  async #removeAll(): Promise<void> {
    const filters = { label: [`${LABELS.run}=${this.#opts.runId}`, `${LABELS.service}=${this.name}`] };
    const found = await this.#opts.docker.listContainers({ all: true, filters } as object);
    await Promise.all(
      found.map((c) =>
        this.#opts.docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => {}),
      ),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop().catch(() => {});
    await this.#removeAll();
  }
}
