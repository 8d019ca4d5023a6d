// The state file shared with the deploy pipeline (deploy.mjs): which version runs in which slot,
// under which pid. The pipeline starts slot processes itself, so the environment finds them here.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { processStartTicks } from '../../src/providers/local/run-registry.js';

export const SLOTS = ['blue', 'green'] as const;
export type SlotName = (typeof SLOTS)[number];

export interface SlotState {
  port: number;
  version: string | null;
  pid: number | null;
  /** From /proc/<pid>/stat: tells our process from a reused pid. */
  startTicks: string | null | undefined;
  log?: string;
}

export interface BlueGreenState {
  socket: string;
  backend: string;
  proxyPort: number;
  appScript: string;
  appArgs: string[];
  logDir: string;
  live: SlotName;
  slots: Record<SlotName, SlotState>;
}

export function readState(path: string): BlueGreenState {
  return JSON.parse(readFileSync(path, 'utf8')) as BlueGreenState;
}

export function writeState(path: string, state: BlueGreenState): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${path}.tmp`, path);
}

/** The slot's pid when that very process is still alive (not a zombie, not a reused pid). */
export function slotPid(slot: SlotState): number | undefined {
  if (slot.pid === null || slot.startTicks == null) return undefined;
  if (processStartTicks(slot.pid) !== slot.startTicks) return undefined;
  try {
    const stat = readFileSync(`/proc/${slot.pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
  } catch {
    return undefined;
  }
  return slot.pid;
}
