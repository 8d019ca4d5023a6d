// A cluster node whose (re)start is made safe. It keeps no data (no persistence), but its nodes.conf
// still says it is master of its slots: started again before its replica has taken them over, it
// would come back as an empty master of those slots, and the replica would resync from it and drop
// everything. So start() first waits until the running nodes no longer give it any slot; once
// started, the cluster's UPDATE messages turn it into a replica of the node that took over.
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import type { EmitEvent } from '../../src/core/types.js';
import type { SupervisedServiceOptions } from '../../src/providers/supervised-service.js';
import { RedisService, type RedisServiceExtras } from '../redis-sentinel/redis-service.js';
import type { ClusterView } from './cluster-view.js';

export class ClusterNode extends RedisService {
  readonly #view: ClusterView;
  readonly #emit: EmitEvent;
  readonly #takeoverTimeoutMs: number;

  constructor(
    opts: SupervisedServiceOptions,
    extras: RedisServiceExtras,
    view: ClusterView,
    emit: EmitEvent,
    takeoverTimeoutMs: number,
  ) {
    super(opts, extras);
    this.#view = view;
    this.#emit = emit;
    this.#takeoverTimeoutMs = takeoverTimeoutMs;
  }

  override async start(signal?: AbortSignal): Promise<void> {
    // Before the cluster is created (no id yet) there is nothing to take over.
    if (!this.running() && this.#view.ids.has(this.name)) {
      const t0 = performance.now();
      let waited = false;
      while (await this.#view.stillOwnsSlots(this.name, signal)) {
        if (performance.now() - t0 > this.#takeoverTimeoutMs) {
          throw new HarnessError(
            'RECOVERY_FAILED',
            `redis-cluster: ${this.name} is still given slots by the running nodes after ${this.#takeoverTimeoutMs}ms; not restarting it empty`,
          );
        }
        waited = true;
        await sleep(100, undefined, signal ? { signal } : undefined);
      }
      if (waited) {
        this.#emit(
          'redis-cluster-takeover',
          `${this.name}'s slots were taken over after ${Math.round(performance.now() - t0)} ms of waiting; restarting it`,
          { service: this.name },
        );
      }
    }
    await super.start(signal);
  }
}
