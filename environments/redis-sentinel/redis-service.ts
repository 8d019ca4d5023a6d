// The services of the stack: a Redis process (data node or sentinel) on either provider, ready when
// it answers PING, and a data node whose (re)start is made safe after a failover.
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import type { EmitEvent, Endpoint } from '../../src/core/types.js';
import {
  logTail,
  SupervisedService,
  type SupervisedServiceOptions,
} from '../../src/providers/supervised-service.js';
import { withReplicaOf } from './redis-config.js';
import { tryRedisCall } from './redis-control.js';
import type { Topology } from './topology.js';

const PING_TIMEOUT_MS = 10_000;

export interface RedisServiceExtras {
  /** The node's own port on the host, for the PING that says it is ready. */
  direct: Endpoint;
}

/**
 * A Redis server or sentinel. Ready means it answers PING: in a container the published port
 * accepts TCP connections before the server inside listens (Docker's proxy answers them), so a
 * TCP check alone says nothing there.
 */
export class RedisService extends SupervisedService {
  readonly #direct: Endpoint;

  constructor(opts: SupervisedServiceOptions, extras: RedisServiceExtras) {
    super(opts);
    this.#direct = extras.direct;
  }

  override async waitReady(signal?: AbortSignal): Promise<void> {
    await super.waitReady(signal);
    const deadline = performance.now() + PING_TIMEOUT_MS;
    for (;;) {
      const answer = await tryRedisCall(this.#direct, ['PING'], { signal, timeoutMs: 500 });
      if (answer === 'PONG') return;
      if (!this.running() || performance.now() >= deadline) {
        const why = this.running() ? `no PONG within ${PING_TIMEOUT_MS}ms` : 'it exited';
        const tail = logTail(this.proc.logFile);
        throw new HarnessError(
          this.running() ? 'NOT_READY' : 'PROCESS_EXITED',
          `service "${this.name}" is not ready at ${this.#direct.host}:${this.#direct.port} (${why})${tail ? `\nlast lines of ${this.proc.logFile}:\n${tail}` : ''}`,
        );
      }
      await sleep(25, undefined, signal ? { signal } : undefined);
    }
  }
}

/**
 * A data node whose (re)start is made safe: when the sentinels have elected another master,
 * its config is pointed at that master first, so a restarted old master rejoins as a replica
 * instead of coming back as an empty master that others could resync from. (A container's command
 * is fixed, so the config lives in a file of the work directory mounted into it, rewritten here.)
 */
export class RedisDataNode extends RedisService {
  readonly #conf: string;
  readonly #topology: Topology;
  readonly #emit: EmitEvent;

  constructor(
    opts: SupervisedServiceOptions,
    extras: RedisServiceExtras,
    conf: string,
    topology: Topology,
    emit: EmitEvent,
  ) {
    super(opts, extras);
    this.#conf = conf;
    this.#topology = topology;
    this.#emit = emit;
  }

  override async start(signal?: AbortSignal): Promise<void> {
    if (!this.running()) {
      const elected = await this.#topology.sentinelMaster(signal);
      const master = this.#topology.dataNodes.find((n) => n.name === elected);
      if (master && master.name !== this.name) {
        writeFileSync(
          this.#conf,
          withReplicaOf(readFileSync(this.#conf, 'utf8'), { host: master.peerHost, port: master.clientPort }),
        );
      } else if (master) {
        this.#emit(
          'redis-empty-master',
          `${this.name} restarts as the elected master with no data (no persistence)`,
          {
            service: this.name,
          },
        );
      }
    }
    await super.start(signal);
  }
}
