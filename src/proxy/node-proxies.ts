// One fault-proxy proxy per node of a stack, named after the node, from the port its clients use to
// its real port: the setup redis-sentinel and redis-cluster share (postgres-ha's proxy-routing.ts
// also picks the client ports itself).

import { Toxiproxy } from 'toxiproxy-node-client';
import { startFaultProxy } from './fault-proxy.js';
import { type FaultProxyRouting, staticRouting } from './routing.js';

export interface ProxiedNode {
  name: string;
  /** Where clients connect: the proxy listens here on `host`. */
  clientPort: number;
  /** The node's own port on `host`. */
  realPort: number;
}

/**
 * Starts a fault proxy with a proxy per node and returns its routing (service name → that proxy).
 * `defer` gets the proxy's close, so the environment's teardown stops it, also when a later
 * proxy cannot be created.
 */
export async function proxyEachNode(
  nodes: readonly ProxiedNode[],
  host: string,
  defer: (close: () => Promise<void>) => void,
): Promise<FaultProxyRouting> {
  const proxy = await startFaultProxy({ apiPort: 0 });
  defer(() => proxy.close());
  const api = new Toxiproxy(proxy.apiUrl);
  const routes: Record<string, string[]> = {};
  for (const n of nodes) {
    await api.createProxy({
      name: n.name,
      listen: `${host}:${n.clientPort}`,
      upstream: `${host}:${n.realPort}`,
    });
    routes[n.name] = [n.name];
  }
  return staticRouting(proxy.apiUrl, routes);
}
