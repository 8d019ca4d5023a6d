export type ServerStat = Record<string, string> & {
  pxname: string;
  svname: string;
  status: string;
  scur: string;
};
export type ServerState = Record<string, string> & {
  srv_name: string;
  srv_addr: string;
  srv_admin_state: string;
};
/** A unix socket path, or the TCP address of a stats socket. */
export type RuntimeApi = string | { host: string; port: number };
export function describeApi(api: RuntimeApi): string;
export function haproxy(api: RuntimeApi, command: string, timeoutMs?: number): Promise<string>;
export function serverStats(api: RuntimeApi, backend: string): Promise<Record<string, ServerStat>>;
export function serverStates(api: RuntimeApi, backend: string): Promise<Record<string, ServerState>>;
export function liveSlot(api: RuntimeApi, backend: string): Promise<string>;
export function setTraffic(api: RuntimeApi, backend: string, to: string, from: string): Promise<void>;
export function waitForAddress(
  api: RuntimeApi,
  backend: string,
  server: string,
  ip: string,
  timeoutMs: number,
): Promise<number>;
