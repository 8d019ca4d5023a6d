// Per-chunk behaviour of each toxic on one direction of one connection. A link chains the
// stages of the toxics that apply to it; with no stage, its reads go straight through.
import { performance } from 'node:perf_hooks';
import type { ToxicSpec } from './toxic-spec.js';

/** `data: null` is the end of the stream (the source sent FIN or went away). */
export interface Chunk {
  data: Buffer | null;
  /** When the proxy read it (performance.now()); latency is measured from here, as Toxiproxy does. */
  ts: number;
}

export interface StageHost {
  /** Hands a chunk to whatever follows `from` in the chain. */
  emit(from: Stage, chunk: Chunk): void;
  /** Bytes a stage threw away (for backpressure accounting). */
  drop(bytes: number): void;
  /** Close the whole connection once the end of stream emitted by `from` has been written. */
  closeAfterEnd(from: Stage): void;
  /** Abort both sides with a TCP RST. */
  reset(): void;
}

export const now = (): number => performance.now();

export abstract class Stage {
  #closed = false;
  constructor(
    readonly spec: ToxicSpec,
    protected readonly host: StageHost,
  ) {}

  /** Entry point: after a stage closed its output, anything more it receives is discarded. */
  accept(chunk: Chunk): void {
    if (this.#closed) {
      if (chunk.data) this.host.drop(chunk.data.length);
      return;
    }
    this.push(chunk);
  }

  protected abstract push(chunk: Chunk): void;

  /** The toxic is being removed: hand on everything held back, right now, in order. */
  flush(): void {}

  /** The connection is gone: stop timers, forget buffered data. */
  dispose(): void {}

  protected attr(name: string): number {
    return this.spec.attributes[name] ?? 0;
  }

  /** End this direction here and close the connection once that end is written. */
  protected closeOutput(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.host.emit(this, { data: null, ts: now() });
    this.host.closeAfterEnd(this);
  }
}

/** FIFO of chunks released at given times, with one timer for the head. */
class TimedQueue {
  #items: { at: number; chunk: Chunk }[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Release time of the last chunk queued: later chunks never overtake it. */
  lastAt = 0;

  constructor(private readonly out: (chunk: Chunk) => void) {}

  add(at: number, chunk: Chunk): void {
    const when = Math.max(at, this.lastAt);
    this.lastAt = when;
    if (this.#items.length === 0 && when <= now()) {
      this.out(chunk);
      return;
    }
    this.#items.push({ at: when, chunk });
    if (this.#items.length === 1) this.#arm();
  }

  #arm(): void {
    const head = this.#items[0];
    if (!head) return;
    this.#timer = setTimeout(this.#fire, Math.max(0, head.at - now()));
  }

  #fire = (): void => {
    this.#timer = undefined;
    // Half a millisecond of slack: timers fire on whole milliseconds.
    const limit = now() + 0.5;
    while (this.#items.length > 0 && (this.#items[0]?.at ?? 0) <= limit) {
      const item = this.#items.shift();
      if (item) this.out(item.chunk);
    }
    this.#arm();
  };

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#items;
    this.#items = [];
    for (const item of items) this.out(item.chunk);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
  }
}

abstract class QueuedStage extends Stage {
  protected readonly queue = new TimedQueue((chunk) => this.host.emit(this, chunk));
  override flush(): void {
    this.queue.flush();
  }
  override dispose(): void {
    this.queue.dispose();
  }
}

/** Each chunk leaves `latency ± jitter` ms after it was read, never before an earlier chunk. */
class LatencyStage extends QueuedStage {
  protected push(chunk: Chunk): void {
    if (!chunk.data) {
      this.queue.add(now(), chunk);
      return;
    }
    const jitter = this.attr('jitter');
    const delay = this.attr('latency') + (jitter > 0 ? (Math.random() * 2 - 1) * jitter : 0);
    this.queue.add(chunk.ts + delay, chunk);
  }
}

/** `rate` KB/s, i.e. `rate` bytes per millisecond; large chunks go out in 100 ms slices. */
class BandwidthStage extends QueuedStage {
  protected push(chunk: Chunk): void {
    const rate = this.attr('rate');
    if (!chunk.data || rate <= 0) {
      this.queue.add(now(), chunk);
      return;
    }
    const slice = Math.max(1, Math.floor(rate * 100));
    for (let off = 0; off < chunk.data.length; off += slice) {
      const part = chunk.data.subarray(off, off + slice);
      this.queue.add(Math.max(now(), this.queue.lastAt) + part.length / rate, { data: part, ts: chunk.ts });
    }
  }
}

/** Cuts data into pieces of `average_size ± size_variation` bytes, `delay` µs apart. */
class SlicerStage extends QueuedStage {
  protected push(chunk: Chunk): void {
    if (!chunk.data) {
      this.queue.add(now(), chunk);
      return;
    }
    const avg = this.attr('average_size');
    const variation = Math.min(this.attr('size_variation'), avg - 1);
    const delayMs = this.attr('delay') / 1000;
    let off = 0;
    while (off < chunk.data.length) {
      const size = Math.max(1, Math.round(avg + (Math.random() * 2 - 1) * variation));
      const part = chunk.data.subarray(off, off + size);
      off += size;
      this.queue.add(Math.max(now(), this.queue.lastAt) + delayMs, { data: part, ts: chunk.ts });
    }
  }
}

/** Data passes; the end of stream is held back `delay` ms. */
class SlowCloseStage extends QueuedStage {
  protected push(chunk: Chunk): void {
    this.queue.add(chunk.data ? now() : now() + this.attr('delay'), chunk);
  }
}

/**
 * Data is dropped; after `timeout` ms (never when 0) the connection is closed. Removing the
 * toxic closes the connections it held, as Toxiproxy does: the dropped bytes leave the
 * protocol stream unusable.
 */
class TimeoutStage extends Stage {
  #timer: NodeJS.Timeout | undefined;
  constructor(spec: ToxicSpec, host: StageHost) {
    super(spec, host);
    const ms = this.attr('timeout');
    if (ms > 0) this.#timer = setTimeout(() => this.closeOutput(), ms);
  }
  protected push(chunk: Chunk): void {
    if (chunk.data) this.host.drop(chunk.data.length);
    else this.host.emit(this, chunk);
  }
  override flush(): void {
    clearTimeout(this.#timer);
    this.closeOutput();
  }
  override dispose(): void {
    clearTimeout(this.#timer);
  }
}

/** On the next data (or end), waits `timeout` ms and resets the connection; the data is dropped. */
class ResetPeerStage extends Stage {
  #timer: NodeJS.Timeout | undefined;
  protected push(chunk: Chunk): void {
    if (chunk.data) this.host.drop(chunk.data.length);
    this.#timer ??= setTimeout(() => this.host.reset(), this.attr('timeout'));
  }
  override flush(): void {
    this.dispose();
  }
  override dispose(): void {
    clearTimeout(this.#timer);
  }
}

/** Passes `bytes` bytes, then closes the connection. */
class LimitDataStage extends Stage {
  #sent = 0;
  protected push(chunk: Chunk): void {
    if (!chunk.data) {
      this.host.emit(this, chunk);
      return;
    }
    const room = this.attr('bytes') - this.#sent;
    const data = chunk.data;
    if (room > 0) {
      const part = data.length <= room ? data : data.subarray(0, room);
      this.#sent += part.length;
      this.host.emit(this, { data: part, ts: chunk.ts });
      if (part.length < data.length) this.host.drop(data.length - part.length);
    } else {
      this.host.drop(data.length);
    }
    if (this.#sent >= this.attr('bytes')) this.closeOutput();
  }
}

const STAGES: Record<ToxicSpec['type'], new (spec: ToxicSpec, host: StageHost) => Stage> = {
  latency: LatencyStage,
  bandwidth: BandwidthStage,
  slicer: SlicerStage,
  slow_close: SlowCloseStage,
  timeout: TimeoutStage,
  reset_peer: ResetPeerStage,
  limit_data: LimitDataStage,
};

export function createStage(spec: ToxicSpec, host: StageHost): Stage {
  return new STAGES[spec.type](spec, host);
}
