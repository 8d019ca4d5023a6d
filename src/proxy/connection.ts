// One proxied TCP connection: two links (client → upstream, upstream → client). Each read goes
// straight to the other socket while no toxic applies to its link (the fast path: one reusable
// read buffer, a synchronous write, no timer, no copy) and through the link's stages while one
// does; a link changes path between two reads whenever a toxic is added or removed.
import { connect, type Socket } from 'node:net';
import { ReadBuffer, readAcceptedInto } from './read-buffer.js';
import { type Chunk, createStage, now, type Stage, type StageHost } from './stages.js';
import type { ToxicSpec, ToxicStream } from './toxic-spec.js';

/** Bytes held inside a chain before the source is paused, so slow toxics push back on the sender. */
const HIGH_WATER = 256 * 1024;

class Link implements StageHost {
  readonly stages: Stage[] = [];
  #srcEnded = false;
  #sinkEnded = false;
  /** Bytes inside the chain: read, not yet written or dropped. */
  #pending = 0;
  #closeAfterEnd = false;

  constructor(
    private readonly conn: Connection,
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly buffer: ReadBuffer,
  ) {
    src.on('end', this.#onSrcEnd);
    src.on('close', this.#onSrcEnd);
    dst.on('drain', this.#maybeResume);
  }

  addToxic(spec: ToxicSpec): void {
    if (Math.random() >= spec.toxicity) return;
    this.stages.push(createStage(spec, this));
  }

  removeToxic(name: string): void {
    const stage = this.stages.find((s) => s.spec.name === name);
    if (!stage) return;
    stage.flush();
    stage.dispose();
    this.stages.splice(this.stages.indexOf(stage), 1);
    this.#maybeResume();
  }

  /** Toxiproxy rolls the toxicity dice again when a toxic changes. */
  replaceToxic(spec: ToxicSpec): void {
    const old = this.stages.find((s) => s.spec.name === spec.name);
    if (!old) {
      this.addToxic(spec);
      return;
    }
    old.flush();
    old.dispose();
    const at = this.stages.indexOf(old);
    if (Math.random() < spec.toxicity) this.stages.splice(at, 1, createStage(spec, this));
    else this.stages.splice(at, 1);
    this.#maybeResume();
  }

  dispose(): void {
    for (const s of this.stages) s.dispose();
    this.stages.length = 0;
  }

  // Every read comes here, in order, so the path is chosen per chunk: straight to `dst` while no
  // toxic applies, through the stages while one does. A toxic added or removed between two reads
  // (API requests run between events) cannot reorder bytes: what went straight out is already in
  // `dst`'s queue ahead of anything the stages emit, and a removed stage first flushes what it
  // held onwards.
  onChunk = (data: Buffer, shared: boolean): void => {
    if (this.stages.length === 0) {
      if (this.#sinkEnded || this.dst.destroyed) return;
      this.dst.write(data);
      // A write that did not complete at once still reads from the shared buffer.
      if (shared && this.dst.writableLength > 0) this.buffer.keep();
      if (this.dst.writableNeedDrain) this.src.pause();
      return;
    }
    // Stages hold chunks past this call (latency, bandwidth): they get a copy of their own.
    const own = shared ? Buffer.from(data) : data;
    this.#pending += own.length;
    this.#enter({ data: own, ts: now() });
    if (this.#pending > HIGH_WATER || this.dst.writableNeedDrain) this.src.pause();
  };

  #onSrcEnd = (): void => {
    if (this.#srcEnded) return;
    this.#srcEnded = true;
    this.#enter({ data: null, ts: now() });
  };

  #maybeResume = (): void => {
    if (this.#srcEnded || !this.src.isPaused()) return;
    if (this.#pending <= HIGH_WATER / 2 && !this.dst.writableNeedDrain) this.src.resume();
  };

  #enter(chunk: Chunk): void {
    const first = this.stages[0];
    if (first) first.accept(chunk);
    else this.#sink(chunk);
  }

  #sink(chunk: Chunk): void {
    if (this.#sinkEnded) {
      if (chunk.data) this.drop(chunk.data.length);
      return;
    }
    if (chunk.data) {
      this.#pending -= chunk.data.length;
      if (!this.dst.destroyed) this.dst.write(chunk.data);
      this.#maybeResume();
      return;
    }
    this.#sinkEnded = true;
    if (this.#closeAfterEnd) {
      this.dst.end(() => this.conn.destroy());
      // end()'s callback does not run on an already destroyed socket.
      if (this.dst.destroyed) this.conn.destroy();
    } else if (!this.dst.destroyed) {
      this.dst.end();
    }
  }

  emit(from: Stage, chunk: Chunk): void {
    const i = this.stages.indexOf(from);
    if (i < 0) {
      if (chunk.data) this.drop(chunk.data.length);
      return;
    }
    const next = this.stages[i + 1];
    if (next) next.accept(chunk);
    else this.#sink(chunk);
  }

  drop(bytes: number): void {
    this.#pending -= bytes;
    this.#maybeResume();
  }

  closeAfterEnd(_from: Stage): void {
    this.#closeAfterEnd = true;
    if (this.#sinkEnded) this.conn.destroy();
  }

  reset(): void {
    this.conn.reset();
  }
}

export interface UpstreamTarget {
  host: string;
  port: number;
}

export class Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly links: Record<ToxicStream, Link>;
  #closedSockets = 0;

  /** `accepted` comes from a server with `pauseOnConnect`, so nothing was read from it yet. */
  constructor(accepted: Socket, target: UpstreamTarget, toxics: readonly ToxicSpec[], onClosed: () => void) {
    const fromClient = new ReadBuffer();
    const fromUpstream = new ReadBuffer();
    // The handlers run from the next event on, when `links` exists.
    this.upstream = connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: fromUpstream.onread((d, shared) => this.links.downstream.onChunk(d, shared)),
    });
    this.client = readAcceptedInto(
      accepted,
      fromClient,
      (d, shared) => this.links.upstream.onChunk(d, shared),
      true,
    );
    this.client.setNoDelay(true);
    this.links = {
      upstream: new Link(this, this.client, this.upstream, fromClient),
      downstream: new Link(this, this.upstream, this.client, fromUpstream),
    };
    for (const socket of [this.client, this.upstream]) {
      // Errors end up as 'close', which each link treats as the end of its source.
      socket.on('error', () => {});
      socket.once('close', () => {
        this.#closedSockets += 1;
        if (this.#closedSockets === 2) {
          this.links.upstream.dispose();
          this.links.downstream.dispose();
          onClosed();
        }
      });
    }
    for (const spec of toxics) this.links[spec.stream].addToxic(spec);
  }

  /** Close both sides now (the proxy was disabled or deleted, or a toxic closes the connection). */
  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Abort both sides with RST, as a peer reset would. */
  reset(): void {
    // On a socket still connecting, resetAndDestroy waits for the connection, then resets it.
    for (const s of [this.client, this.upstream]) if (!s.destroyed) s.resetAndDestroy();
  }
}
