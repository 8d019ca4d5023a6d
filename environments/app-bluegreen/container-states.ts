// Which of the run's containers are running, kept current from the engine's event stream. The
// deploy pipeline creates slot containers behind the harness's back (with the docker CLI), and
// StartedService.running() must answer at once (readiness checks ask it every 50 ms), so it cannot
// ask the engine each time: it reads what the events said.
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { HarnessError } from '../../src/core/errors.js';
import { LABELS } from '../../src/providers/containers/engine.js';

interface ContainerEvent {
  Type?: string;
  Action?: string;
  id?: string;
}

export class ContainerStates implements AsyncDisposable {
  readonly #running = new Map<string, boolean>();
  /** Start events seen per container: tells "started again" from "still running". */
  readonly #starts = new Map<string, number>();
  readonly #stream: NodeJS.ReadableStream & { destroy?: () => void };

  private constructor(stream: NodeJS.ReadableStream & { destroy?: () => void }) {
    this.#stream = stream;
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          if (line.trim()) this.#apply(JSON.parse(line) as ContainerEvent);
        } catch {
          // not an event: ignored
        }
      }
    });
    stream.on('error', () => {});
  }

  /** Subscribes before anything of the run starts, so no container's start is missed. */
  static async watch(docker: Docker, runId: string): Promise<ContainerStates> {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], label: [`${LABELS.run}=${runId}`] },
    } as object)) as NodeJS.ReadableStream;
    return new ContainerStates(stream);
  }

  #apply(e: ContainerEvent): void {
    if (e.Type !== 'container' || !e.id) return;
    // A paused container is still running (as a SIGSTOPped process is still alive).
    if (e.Action === 'start') this.#starts.set(e.id, this.starts(e.id) + 1);
    if (e.Action === 'start' || e.Action === 'unpause') this.#running.set(e.id, true);
    else if (e.Action === 'die') this.#running.set(e.id, false);
    else if (e.Action === 'destroy') this.#running.delete(e.id);
  }

  running(id: string | null | undefined): boolean {
    return id ? (this.#running.get(id) ?? false) : false;
  }

  starts(id: string): number {
    return this.#starts.get(id) ?? 0;
  }

  /**
   * Waits for the event of a start the caller just made (the engine may report it a little after
   * its API call returned): more than `before` starts seen.
   */
  async started(id: string, before: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.starts(id) <= before) {
      if (performance.now() > deadline) {
        throw new HarnessError(
          'NOT_READY',
          `container ${id.slice(0, 12)}: the engine reported no start within ${timeoutMs}ms`,
        );
      }
      await sleep(10);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#stream.destroy?.();
  }
}
