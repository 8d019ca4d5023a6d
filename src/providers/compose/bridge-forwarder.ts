// A plain TCP pipe from the Docker bridge's gateway address to a fault-proxy listener on loopback.
// A compose service whose overlay `environment:` names `${services.<svc>.proxied.<port>}` reaches
// that port through it: its container cannot reach the host's loopback, but it can reach the bridge
// gateway, and from there its connections go through the same fault proxy the harness's own
// clients use, so latency, bandwidth and reset faults on the service act on them too.
// It listens on the gateway address only (reachable from the host and its containers, never beyond).

import { createServer, Socket } from 'node:net';

export interface BridgeForwarder {
  /** `host:port` containers connect to. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startBridgeForwarder(gateway: string, toPort: number): Promise<BridgeForwarder> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server = createServer({ noDelay: true }, (client) => {
    track(client);
    const upstream = new Socket();
    track(upstream);
    upstream.setNoDelay(true);
    // A reset on one side is a reset on the other (a connection-reset fault must reach the container).
    client.once('error', () => upstream.resetAndDestroy());
    upstream.once('error', () => client.resetAndDestroy());
    upstream.connect(toPort, '127.0.0.1', () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`cannot listen on the Docker bridge gateway ${gateway}: ${err.message}`)),
    );
    server.listen(0, gateway, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    address: `${gateway}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
