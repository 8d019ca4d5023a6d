// The fault proxy of an environment.yaml: one proxy per `proxied` port, named `<service>-<port>`,
// listening on a port of its own and forwarding to the service's real port. Clients (probes) and
// the other services reach a proxied port through it, so the network faults act on that traffic;
// the service binds the real port and the harness's readiness checks use it, unaffected.

import { Toxiproxy } from 'toxiproxy-node-client';
import {
  type FaultProxyRouting,
  type StartedFaultProxy,
  startFaultProxy,
  staticRouting,
} from '../../proxy/index.js';
import type { EnvironmentFileSpec } from '../../scenario/schema.js';

export interface YamlProxies {
  readonly proxy: StartedFaultProxy;
  readonly routing: FaultProxyRouting;
  /** service → port name → the port clients use. */
  readonly clientPorts: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** proxy name → "listen → upstream", for the report. */
  readonly routes: Readonly<Record<string, string>>;
}

/** undefined when no service declares a proxied port. */
export async function startYamlProxies(
  spec: EnvironmentFileSpec,
  ports: Readonly<Record<string, Readonly<Record<string, number>>>>,
  freePort: () => Promise<number>,
): Promise<YamlProxies | undefined> {
  const wanted = Object.entries(spec.services).filter(([, s]) => s.proxied.length > 0);
  if (wanted.length === 0) return undefined;
  const proxy = await startFaultProxy({ apiPort: 0 });
  try {
    const api = new Toxiproxy(proxy.apiUrl);
    const clientPorts: Record<string, Record<string, number>> = {};
    const byService: Record<string, string[]> = {};
    const routes: Record<string, string> = {};
    for (const [svc, s] of wanted) {
      clientPorts[svc] = {};
      byService[svc] = [];
      for (const p of s.proxied) {
        const name = `${svc}-${p}`;
        const listen = `127.0.0.1:${await freePort()}`;
        const upstream = `127.0.0.1:${ports[svc]?.[p]}`;
        await api.createProxy({ name, listen, upstream });
        clientPorts[svc][p] = Number(listen.split(':')[1]);
        byService[svc].push(name);
        routes[name] = `${listen} → ${upstream}`;
      }
    }
    return { proxy, routing: staticRouting(proxy.apiUrl, byService), clientPorts, routes };
  } catch (err) {
    await proxy.close();
    throw err;
  }
}
