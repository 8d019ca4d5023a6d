// Sentinel's own account of a failover, as run events: `+odown` (a quorum agrees the master is
// down and a failover starts) is the stack's detection, so the report can show MTTD; the switch
// and the conversion of a returning old master mark the end of the failover and of a split brain.
import { Redis } from 'ioredis';
import type { EmitEvent, Endpoint } from '../../src/core/types.js';

const CHANNELS: Record<string, { type: string; text: string }> = {
  '+odown': { type: 'detected', text: 'sentinels agree the master is down (+odown): failover starts' },
  '+switch-master': { type: 'redis-switch-master', text: 'sentinels switched to a new master' },
  '+convert-to-slave': {
    type: 'redis-convert-to-replica',
    text: 'sentinel turned an old master into a replica',
  },
};

/**
 * Subscribes to every sentinel (real ports) and emits each distinct announcement once: all
 * sentinels publish the same switch, each about 1 s after the previous one, so repeats within
 * dedupeMs are one event.
 */
export function watchSentinelEvents(
  sentinels: Endpoint[],
  emit: EmitEvent,
  dedupeMs = 5000,
): AsyncDisposable {
  const last = new Map<string, number>();
  const clients = sentinels.map((ep) => {
    // Queued until connected and re-sent after every reconnect (ioredis autoResubscribe).
    const sub = new Redis({ ...ep, retryStrategy: () => 200, maxRetriesPerRequest: null });
    sub.on('error', () => {});
    sub.on('message', (channel: string, message: string) => {
      const kind = CHANNELS[channel];
      if (!kind) return;
      // `+odown master mymaster 127.0.0.1 6379 #quorum 2/2`: the key leaves out the per-sentinel tail.
      const key = `${channel} ${message.split(' #')[0]}`;
      const now = performance.now();
      const prev = last.get(key);
      last.set(key, now);
      if (prev !== undefined && now - prev < dedupeMs) return;
      emit(kind.type, `${kind.text}: ${message}`, { channel, message });
    });
    sub.subscribe(...Object.keys(CHANNELS)).catch(() => {});
    return sub;
  });
  return {
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.disconnect();
    },
  };
}
