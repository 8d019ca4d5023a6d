// One proxied TCP connection: two links (client → upstream, upstream → client). A link is a
// plain `pipe` while no toxic applies to it (the fast path) and switches to chunk-by-chunk
// processing through its stages only while one does, in both directions at any time.
import { connect, type Socket } from 'node:net';
import { type Chunk, createStage, now, type Stage, type StageHost } from './stages.js';
import type { ToxicSpec, ToxicStream } from './toxic-spec.js';

/** Bytes held inside a chain before the source is paused, so slow toxics push back on the sender. */
const HIGH_WATER = 256 * 1024;

class Link implements StageHost {
  readonly stages: Stage[] = [];
  /** 'idle' until start(): no listener yet, so nothing is read before the stages exist. */
  #mode: 'idle' | 'pipe' | 'chain' = 'idle';
  #started = false;
  #srcEnded = false;
  #sinkEnded = false;
  #pending = 0;
  #closeAfterEnd = false;

  constructor(
    private readonly conn: Connection,
    private readonly src: Socket,
    private readonly dst: Socket,
  ) {
    src.on('end', this.#onSrcEnd);
    src.on('close', this.#onSrcEnd);
    dst.on('drain', this.#maybeResume);
  }

  start(): void {
    this.#started = true;
    this.#update();
  }

  addToxic(spec: ToxicSpec): void {
    if (Math.random() >= spec.toxicity) return;
    this.stages.push(createStage(spec, this));
    this.#update();
  }

  removeToxic(name: string): void {
    const i = this.stages.findIndex((s) => s.spec.name === name);
    const stage = this.stages[i];
    if (!stage) return;
    stage.flush();
    stage.dispose();
    this.stages.splice(this.stages.indexOf(stage), 1);
    this.#update();
  }

  /** Toxiproxy rolls the toxicity dice again when a toxic changes. */
  replaceToxic(spec: ToxicSpec): void {
    const i = this.stages.findIndex((s) => s.spec.name === spec.name);
    const old = this.stages[i];
    if (!old) {
      this.addToxic(spec);
      return;
    }
    old.flush();
    old.dispose();
    const at = this.stages.indexOf(old);
    if (Math.random() < spec.toxicity) this.stages.splice(at, 1, createStage(spec, this));
    else this.stages.splice(at, 1);
    this.#update();
  }

  dispose(): void {
    for (const s of this.stages) s.dispose();
    this.stages.length = 0;
  }

  // Switch between the pipe and the chain. Switching is only done between events, and a
  // removed stage has already flushed into `dst`, so byte order is kept across switches.
  #update(): void {
    if (!this.#started) return;
    const want = this.stages.length === 0 ? 'pipe' : 'chain';
    if (want === this.#mode) return;
    if (this.#mode === 'pipe') this.src.unpipe(this.dst);
    if (this.#mode === 'chain') this.src.off('data', this.#onData);
    this.#mode = want;
    if (want === 'pipe') {
      if (!this.#srcEnded && !this.#sinkEnded) this.src.pipe(this.dst, { end: false });
    } else {
      this.src.on('data', this.#onData);
      this.#maybeResume();
    }
  }

  #onData = (data: Buffer): void => {
    this.#pending += data.length;
    this.#enter({ data, ts: now() });
    if (this.#pending > HIGH_WATER || this.dst.writableNeedDrain) this.src.pause();
  };

  #onSrcEnd = (): void => {
    if (this.#srcEnded) return;
    this.#srcEnded = true;
    if (this.#mode === 'pipe') this.#sink({ data: null, ts: now() });
    else this.#enter({ data: null, ts: now() });
  };

  #maybeResume = (): void => {
    if (this.#mode === 'pipe' || this.#srcEnded) return;
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
      if (this.#mode !== 'pipe') this.#pending -= chunk.data.length;
      if (!this.dst.destroyed) this.dst.write(chunk.data);
      this.#maybeResume();
      return;
    }
    this.#sinkEnded = true;
    if (this.#mode === 'pipe') this.src.unpipe(this.dst);
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

  constructor(client: Socket, target: UpstreamTarget, toxics: readonly ToxicSpec[], onClosed: () => void) {
    this.client = client;
    this.upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    this.links = {
      upstream: new Link(this, client, this.upstream),
      downstream: new Link(this, this.upstream, client),
    };
    for (const socket of [client, this.upstream]) {
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
    this.links.upstream.start();
    this.links.downstream.start();
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
