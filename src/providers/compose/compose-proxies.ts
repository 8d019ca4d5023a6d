// The fault proxy in front of a compose service's published ports listed in `proxied:`: one proxy
// per port, `<service>-<port>`, on a loopback port of its own, forwarding to the published host
// port. The harness's clients (probes, commands) reach the port through it, so latency, bandwidth
// and reset faults act on that traffic; the services reach each other on their own networks.

import { Toxiproxy } from 'toxiproxy-node-client';
import {
  type FaultProxyRouting,
  type StartedFaultProxy,
  startFaultProxy,
  staticRouting,
} from '../../proxy/index.js';
import type { ComposeEnvironment } from '../../scenario/compose-environment.js';

export interface ComposeProxies {
  readonly proxy: StartedFaultProxy;
  readonly routing: FaultProxyRouting;
  /** service → container port → the port clients use. */
  readonly clientPorts: Readonly<Record<string, Readonly<Record<number, number>>>>;
  readonly routes: Readonly<Record<string, string>>;
}

/** undefined when no service has a proxied port. */
export async function startComposeProxies(
  env: ComposeEnvironment,
  hostPorts: Readonly<Record<string, Readonly<Record<number, number>>>>,
  freePort: () => Promise<number>,
): Promise<ComposeProxies | undefined> {
  const wanted = Object.entries(env.spec.services).filter(
    ([svc, o]) => o.proxied.length > 0 && hostPorts[svc],
  );
  if (wanted.length === 0) return undefined;
  const proxy = await startFaultProxy({ apiPort: 0 });
  try {
    const api = new Toxiproxy(proxy.apiUrl);
    const clientPorts: Record<string, Record<number, number>> = {};
    const byService: Record<string, string[]> = {};
    const routes: Record<string, string> = {};
    for (const [svc, o] of wanted) {
      const ports: Record<number, number> = {};
      const names: string[] = [];
      for (const p of o.proxied) {
        const name = `${svc}-${p}`;
        const port = await freePort();
        const upstream = `127.0.0.1:${hostPorts[svc]?.[p]}`;
        await api.createProxy({ name, listen: `127.0.0.1:${port}`, upstream });
        ports[p] = port;
        names.push(name);
        routes[name] = `127.0.0.1:${port} → ${upstream}`;
      }
      clientPorts[svc] = ports;
      byService[svc] = names;
    }
    return { proxy, routing: staticRouting(proxy.apiUrl, byService), clientPorts, routes };
  } catch (err) {
    await proxy.close();
    throw err;
  }
}
