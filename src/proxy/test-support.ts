// Real loopback servers and clients for the proxy and injector tests.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterEach, expect } from 'vitest';
import { Extensions, provide } from '../core/extensions.js';
import type { RunContext, StartedEnvironment, StartedService } from '../core/types.js';
import { type StartedFaultProxy, startFaultProxy } from './fault-proxy.js';
import { FAULT_PROXY, type FaultProxyRouting, staticRouting } from './routing.js';

export interface EchoServer extends AsyncDisposable {
  readonly port: number;
  /** Connections the server holds open right now. */
  openConnections(): number;
}

/** Echoes every byte back; ends its side when the client ends. */
export async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  return {
    port,
    openConnections: () => sockets.size,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Resolves with the error code of a refused connection, or rejects if the connection was accepted. */
export async function connectError(port: number): Promise<string> {
  try {
    const s = await connectTo(port);
    s.destroy();
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
  throw new Error(`connection to 127.0.0.1:${port} was accepted; expected it to be refused`);
}

/** Writes `payload` and waits until as many bytes came back; resolves with the elapsed ms. */
export function roundTrip(socket: Socket, payload: Buffer, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let got = 0;
    const timer = setTimeout(
      () => done(new Error(`echo of ${payload.length} bytes got ${got} in ${timeoutMs}ms`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= payload.length) done();
    };
    const onClose = () => done(new Error(`connection closed after ${got} of ${payload.length} bytes`));
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(performance.now() - start);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(payload);
  });
}

export interface Received {
  bytes: number;
  chunks: number;
  /** How the connection ended: 'end' (FIN), an error code such as 'ECONNRESET', or 'timeout'. */
  how: string;
  /** ms from the call until the connection ended. */
  afterMs: number;
}

/** Collects what arrives until the connection ends, errors or `timeoutMs` passes. */
export function collect(socket: Socket, timeoutMs: number): Promise<Received> {
  return new Promise((resolve) => {
    const start = performance.now();
    const r = { bytes: 0, chunks: 0 };
    let settled = false;
    const finish = (how: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, how, afterMs: performance.now() - start });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (d: Buffer) => {
      r.bytes += d.length;
      r.chunks += 1;
    });
    socket.once('end', () => finish('end'));
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    socket.once('close', () => finish('close'));
  });
}

/** A service that only has a name: network injectors never touch the process. */
function namedService(name: string): StartedService {
  const unsupported = async () => {
    throw new Error(`test service "${name}" has no process`);
  };
  return {
    name,
    endpoints: {},
    role: async () => undefined,
    id: () => undefined,
    running: () => true,
    kill: unsupported,
    signal: unsupported,
    stop: unsupported,
    pause: unsupported,
    resume: unsupported,
    start: unsupported,
    restart: unsupported,
    waitReady: async () => {},
  };
}

/** A RunContext over an environment of named services, routed through `routing` when given. */
export function fakeRunContext(routing: FaultProxyRouting | undefined, serviceNames: string[]): RunContext {
  const services = new Map(serviceNames.map((n) => [n, namedService(n)]));
  const env: StartedEnvironment = {
    name: 'test-env',
    runDir: '/tmp',
    workDir: '/tmp',
    services,
    info: {},
    extensions: routing ? new Extensions(provide(FAULT_PROXY, routing)) : new Extensions(),
    async resolve(target) {
      const svc = target.service === undefined ? undefined : services.get(target.service);
      if (!svc) throw new Error(`no service ${JSON.stringify(target)}`);
      return svc;
    },
    async [Symbol.asyncDispose]() {},
  };
  return {
    env,
    clock: {
      now: () => performance.now(),
      isoAt: (ms) => new Date(performance.timeOrigin + ms).toISOString(),
    },
    signal: new AbortController().signal,
    log: () => {},
    emit: () => {},
    runDir: '/tmp',
  };
}

export interface RoutedEcho extends AsyncDisposable {
  fp: StartedFaultProxy;
  client: Toxiproxy;
  routing: FaultProxyRouting;
  /** Listen port of each proxy by name. */
  ports: Record<string, number>;
  echoPort: number;
  ctx: RunContext;
}

/**
 * An echo server behind three proxies: `db-a` and `db-b` route service "db", `web-a` routes
 * service "web" (which must stay untouched by faults aimed at "db").
 */
export async function startRoutedEcho(): Promise<RoutedEcho> {
  const fp = await startFaultProxy();
  const echo = await startEchoServer();
  const client = new Toxiproxy(fp.apiUrl);
  const ports: Record<string, number> = {};
  for (const name of ['db-a', 'db-b', 'web-a']) {
    const p = await client.createProxy({ name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    ports[name] = portOf(p.listen);
  }
  const routing = staticRouting(fp.apiUrl, { db: ['db-a', 'db-b'], web: ['web-a'], lonely: [] });
  return {
    fp,
    client,
    routing,
    ports,
    echoPort: echo.port,
    ctx: fakeRunContext(routing, ['db', 'web', 'lonely']),
    async [Symbol.asyncDispose]() {
      await fp.close();
      await echo[Symbol.asyncDispose]();
    },
  };
}

/**
 * For a test file: returns a starter of one RoutedEcho per test. After each test it is disposed
 * and every port it used (proxies, API, echo server) must refuse connections again.
 */
export function routedEchoPerTest(): () => Promise<RoutedEcho> {
  let stack: RoutedEcho | undefined;
  afterEach(async () => {
    const ports = [
      ...Object.values(stack?.ports ?? {}),
      ...(stack ? [stack.fp.apiPort, stack.echoPort] : []),
    ];
    await stack?.[Symbol.asyncDispose]();
    stack = undefined;
    for (const port of ports) expect(await connectError(port)).toBe('ECONNREFUSED');
  });
  return async () => {
    stack = await startRoutedEcho();
    return stack;
  };
}
