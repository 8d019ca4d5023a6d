// One named proxy: a loopback listener, its live connections and its toxics.
import { createServer, type Server } from 'node:net';
import { formatAddress, type HostPort, parseLoopbackAddress } from './address.js';
import { Connection } from './connection.js';
import { ApiError, type ToxicSpec, toxicExists, toxicJson, toxicNotFound } from './toxic-spec.js';

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicSpec[];
}

export class FaultProxyInstance {
  readonly name: string;
  /** The listen address as reported: after the first start it carries the real port. */
  listen: string;
  upstream: string;
  enabled = false;
  #listenAddr: HostPort;
  #upstreamAddr: HostPort;
  #toxics: ToxicSpec[] = [];
  #server: Server | undefined;
  readonly #connections = new Set<Connection>();

  /** Throws AddressError when an address is not host:port on loopback. */
  constructor(name: string, listen: string, upstream: string) {
    this.name = name;
    this.#listenAddr = parseLoopbackAddress('listen', listen);
    this.#upstreamAddr = parseLoopbackAddress('upstream', upstream);
    this.listen = formatAddress(this.#listenAddr.host, this.#listenAddr.port);
    this.upstream = upstream;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  toJSON(): ProxyJson {
    return {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics().map(toxicJson),
    };
  }

  /** Upstream toxics first, then downstream, each in the order added (Toxiproxy's listing order). */
  toxics(): ToxicSpec[] {
    return [
      ...this.#toxics.filter((t) => t.stream === 'upstream'),
      ...this.#toxics.filter((t) => t.stream === 'downstream'),
    ];
  }

  async start(): Promise<void> {
    if (this.enabled) return;
    const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (client) => {
      const conn = new Connection(client, this.#upstreamAddr, this.#toxics, () =>
        this.#connections.delete(conn),
      );
      this.#connections.add(conn);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => {
        reject(new ApiError(`listen tcp ${this.listen}: ${err.message}`, 500));
      });
      server.listen({ host: this.#listenAddr.host, port: this.#listenAddr.port }, () => resolve());
    });
    server.on('error', () => {});
    const addr = server.address();
    if (addr && typeof addr === 'object') {
      this.#listenAddr = { host: this.#listenAddr.host, port: addr.port };
      this.listen = formatAddress(this.#listenAddr.host, addr.port);
    }
    this.#server = server;
    this.enabled = true;
  }

  /** Stops listening (new connections are refused) and drops every open connection. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.enabled = false;
    for (const conn of this.#connections) conn.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Applies `enabled`, `listen` and `upstream` from an update; a changed address restarts the proxy. */
  async update(input: { enabled: boolean; listen: string; upstream: string }): Promise<void> {
    const listenAddr = parseLoopbackAddress('listen', input.listen);
    const upstreamAddr = parseLoopbackAddress('upstream', input.upstream);
    const moved = input.listen !== this.listen || input.upstream !== this.upstream;
    if (moved || !input.enabled) await this.stop();
    if (moved) {
      this.#listenAddr = listenAddr;
      this.#upstreamAddr = upstreamAddr;
      this.listen = formatAddress(listenAddr.host, listenAddr.port);
      this.upstream = input.upstream;
    }
    if (input.enabled) await this.start();
  }

  getToxic(name: string): ToxicSpec {
    const t = this.#toxics.find((x) => x.name === name);
    if (!t) throw toxicNotFound();
    return t;
  }

  addToxic(spec: ToxicSpec): void {
    if (this.#toxics.some((x) => x.name === spec.name)) throw toxicExists();
    this.#toxics.push(spec);
    for (const conn of this.#connections) conn.links[spec.stream].addToxic(spec);
  }

  updateToxic(spec: ToxicSpec): void {
    const i = this.#toxics.findIndex((x) => x.name === spec.name);
    if (i < 0) throw toxicNotFound();
    this.#toxics[i] = spec;
    for (const conn of this.#connections) conn.links[spec.stream].replaceToxic(spec);
  }

  removeToxic(name: string): void {
    const spec = this.getToxic(name);
    this.#toxics = this.#toxics.filter((x) => x !== spec);
    for (const conn of this.#connections) conn.links[spec.stream].removeToxic(name);
  }

  resetToxics(): void {
    for (const t of [...this.#toxics]) this.removeToxic(t.name);
  }
}
