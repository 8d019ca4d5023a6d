// Starts the fault proxy: an HTTP API that speaks Toxiproxy's protocol plus the TCP proxies it
// creates, all on loopback, all closed when the handle is disposed.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { formatAddress, isLoopbackHost, normalizeHost } from './address.js';
import { createApiHandler, ProxyCollection } from './api.js';

export interface FaultProxyOptions {
  /** Port of the HTTP API; 0 (the default) picks a free one. Toxiproxy's own default is 8474. */
  apiPort?: number;
  /** Loopback address to listen on: 127.0.0.0/8 or ::1. Default 127.0.0.1. */
  host?: string;
}

export interface StartedFaultProxy extends AsyncDisposable {
  /** Base URL for a Toxiproxy client, e.g. `new Toxiproxy(proxy.apiUrl)`. */
  readonly apiUrl: string;
  readonly apiPort: number;
  readonly host: string;
  /** Number of proxied connections open now, over every proxy (for tests and leak checks). */
  connectionCount(): number;
  /** Closes the API, every proxy listener and every proxied connection. Safe to call twice. */
  close(): Promise<void>;
}

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<StartedFaultProxy> {
  const requested = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(requested)) {
    throw new Error(
      `fault proxy host "${requested}": only loopback addresses (127.0.0.0/8, ::1) are allowed`,
    );
  }
  const host = normalizeHost(requested);
  const apiPort = options.apiPort ?? 0;
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) {
    throw new Error(`fault proxy apiPort ${apiPort}: expected an integer from 0 to 65535`);
  }

  const collection = new ProxyCollection();
  const server: Server = createServer(createApiHandler(collection));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: apiPort }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : apiPort;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Clients keep API connections alive; close them or server.close() waits for their timeout.
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await collection.serialize(() => collection.closeAll());
      await closed;
    })();
    return closing;
  };

  return {
    apiUrl: `http://${formatAddress(host, port)}`,
    apiPort: port,
    host,
    connectionCount: () => [...collection.proxies.values()].reduce((n, p) => n + p.connectionCount, 0),
    close,
    [Symbol.asyncDispose]: close,
  };
}
