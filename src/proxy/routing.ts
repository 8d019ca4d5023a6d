// How injectors find the fault proxy that carries a service's traffic. An environment that routes
// a service through the proxy provides this object under FAULT_PROXY.
import { extensionKey } from '../core/extensions.js';
import type { StartedEnvironment } from '../core/types.js';

export interface FaultProxyRouting {
  /** Base URL of a Toxiproxy-compatible API (this project's fault proxy or a real Toxiproxy). */
  apiUrl: string;
  /** Names of the proxies whose upstream is this service (every path by which others reach it). */
  proxiesFor(serviceName: string): string[];
}

export const FAULT_PROXY = extensionKey<FaultProxyRouting>(
  'faultProxy',
  'fault proxy in front of its services',
);

/** The routing an environment published, or an INJECTION_FAILED error saying what is missing. */
export function faultProxyRouting(env: StartedEnvironment, kind: string): FaultProxyRouting {
  return env.extensions.require(FAULT_PROXY, { env: env.name, who: kind, code: 'INJECTION_FAILED' });
}

/** Routing from a fixed service → proxy names map, for environments that set proxies up once. */
export function staticRouting(
  apiUrl: string,
  proxies: Readonly<Record<string, readonly string[]>>,
): FaultProxyRouting {
  return { apiUrl, proxiesFor: (service) => [...(proxies[service] ?? [])] };
}
