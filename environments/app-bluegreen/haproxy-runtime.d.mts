export type ServerStat = Record<string, string> & {
  pxname: string;
  svname: string;
  status: string;
  scur: string;
};
export function haproxy(socket: string, command: string, timeoutMs?: number): Promise<string>;
export function serverStats(socket: string, backend: string): Promise<Record<string, ServerStat>>;
export function liveSlot(socket: string, backend: string): Promise<string>;
export function setTraffic(socket: string, backend: string, to: string, from: string): Promise<void>;
