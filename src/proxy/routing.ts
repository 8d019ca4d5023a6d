// How injectors find the fault proxy that carries a service's traffic. An environment that routes
// a service through the proxy publishes this object as `env.extensions.faultProxy`.
import { HarnessError } from '../core/errors.js';
import type { StartedEnvironment } from '../core/types.js';

export interface FaultProxyRouting {
  /** Base URL of a Toxiproxy-compatible API (this project's fault proxy or a real Toxiproxy). */
  apiUrl: string;
  /** Names of the proxies whose upstream is this service (every path by which others reach it). */
  proxiesFor(serviceName: string): string[];
}

export const FAULT_PROXY_EXTENSION = 'faultProxy';

function isRouting(v: unknown): v is FaultProxyRouting {
  const r = v as Partial<FaultProxyRouting> | undefined;
  return (
    typeof r === 'object' && r !== null && typeof r.apiUrl === 'string' && typeof r.proxiesFor === 'function'
  );
}

/** The routing an environment published, or an INJECTION_FAILED error saying what is missing. */
export function faultProxyRouting(env: StartedEnvironment, kind: string): FaultProxyRouting {
  const r = env.extensions[FAULT_PROXY_EXTENSION];
  if (!isRouting(r)) {
    throw new HarnessError(
      'INJECTION_FAILED',
      `${kind}: environment "${env.name}" does not route traffic through a fault proxy ` +
        `(expected extensions.${FAULT_PROXY_EXTENSION} = { apiUrl, proxiesFor(service) })`,
    );
  }
  return r;
}

/** Routing from a fixed service → proxy names map, for environments that set proxies up once. */
export function staticRouting(
  apiUrl: string,
  proxies: Readonly<Record<string, readonly string[]>>,
): FaultProxyRouting {
  return { apiUrl, proxiesFor: (service) => [...(proxies[service] ?? [])] };
}
