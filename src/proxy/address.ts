// Host:port parsing with a loopback-only rule: this harness must never open a listener or
// reach a target outside the machine, whatever a scenario or an API caller asks for.
import { isIPv4, isIPv6 } from 'node:net';

export interface HostPort {
  host: string;
  port: number;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Address to bind or dial: `localhost` becomes 127.0.0.1 so results do not depend on resolver order. */
export function normalizeHost(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h === 'localhost' ? '127.0.0.1' : h;
}

export class AddressError extends Error {
  override name = 'AddressError';
}

/** Parses `host:port` or `[v6]:port`; throws AddressError naming the field and the rule broken. */
export function parseLoopbackAddress(field: string, value: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!m) throw new AddressError(`${field} "${value}" is not host:port`);
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new AddressError(`${field} "${value}": port ${port} is above 65535`);
  if (!isLoopbackHost(host)) {
    throw new AddressError(
      `${field} "${value}": only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed`,
    );
  }
  return { host: normalizeHost(host), port };
}

export function formatAddress(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
