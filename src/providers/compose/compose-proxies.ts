// The fault proxy in front of a compose service's published ports listed in `proxied:`: one proxy
// per port, `<service>-<port>`, on a loopback port of its own, forwarding to the published host
// port. The harness's clients (probes, commands) reach the port through it, so latency, bandwidth
// and reset faults act on that traffic; the services reach each other on their own networks,
// except where an overlay's `environment:` sends a service's containers through the proxy too
// (`${services.<svc>.proxied.<port>}`: a bridge forwarder into the same proxy listener).

import { Toxiproxy } from 'toxiproxy-node-client';
import {
  type FaultProxyRouting,
  type StartedFaultProxy,
  startFaultProxy,
  staticRouting,
} from '../../proxy/index.js';
import { type ComposeEnvironment, proxiedForContainers } from '../../scenario/compose-environment.js';
import { type BridgeForwarder, startBridgeForwarder } from './bridge-forwarder.js';

export interface ComposeProxies {
  readonly proxy: StartedFaultProxy;
  readonly routing: FaultProxyRouting;
  /** service → container port → the port clients use. */
  readonly clientPorts: Readonly<Record<string, Readonly<Record<number, number>>>>;
  readonly routes: Readonly<Record<string, string>>;
  /** service → container port → the host:port containers reach it at through the proxy. */
  readonly forContainers: Readonly<Record<string, Readonly<Record<number, string>>>>;
  close(): Promise<void>;
}

/** undefined when no service has a proxied port. */
export async function startComposeProxies(
  env: ComposeEnvironment,
  hostPorts: Readonly<Record<string, Readonly<Record<number, number>>>>,
  freePort: () => Promise<number>,
  /** The Docker bridge's gateway address, asked for only when a service's containers need the proxy. */
  bridgeGateway: () => Promise<string>,
): Promise<ComposeProxies | undefined> {
  const wanted = Object.entries(env.spec.services).filter(
    ([svc, o]) => o.proxied.length > 0 && hostPorts[svc],
  );
  if (wanted.length === 0) return undefined;
  const proxy = await startFaultProxy({ apiPort: 0 });
  const forwarders: BridgeForwarder[] = [];
  const close = async () => {
    await Promise.all(forwarders.map((f) => f.close()));
    await proxy.close();
  };
  try {
    const viaContainers = proxiedForContainers(env.spec);
    const forContainers: Record<string, Record<number, string>> = {};
    const gateway = Object.keys(viaContainers).length ? await bridgeGateway() : '';
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
        if (viaContainers[svc]?.includes(p)) {
          const f = await startBridgeForwarder(gateway, port);
          forwarders.push(f);
          forContainers[svc] = { ...forContainers[svc], [p]: f.address };
          routes[`${name} (containers)`] = `${f.address} → 127.0.0.1:${port}`;
        }
      }
      clientPorts[svc] = ports;
      byService[svc] = names;
    }
    return {
      proxy,
      routing: staticRouting(proxy.apiUrl, byService),
      clientPorts,
      routes,
      forContainers,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
