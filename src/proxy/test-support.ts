// Real loopback servers and clients for the proxy and injector tests.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

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
