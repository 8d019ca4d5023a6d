// The state file shared with the deploy pipeline (deploy.mjs): which version runs in which slot,
// under which pid (local provider) or container (containers provider). The pipeline starts slots
// itself, so the environment finds them here.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { processStartTicks } from '../../src/providers/local/run-registry.js';
import type { RuntimeApi } from './haproxy-runtime.mjs';

export const SLOTS = ['blue', 'green'] as const;
export type SlotName = (typeof SLOTS)[number];

export interface SlotState {
  /** Where the slot serves on 127.0.0.1 (in containers: published, the same number inside). */
  port: number;
  version: string | null;
  pid: number | null;
  /** From /proc/<pid>/stat: tells our process from a reused pid. */
  startTicks: string | null | undefined;
  /** Docker's id of the slot's container (containers provider). */
  container?: string | null;
  log?: string;
}

/** How the pipeline runs a slot as a container (absent: slots are local processes). */
export interface SlotContainerSettings {
  image: string;
  /** The run's network; the slot's name is its alias there (HAProxy resolves it). */
  network: string;
  /** The run's labels: teardown and the next run's sweep find the containers by them. */
  labels: Record<string, string>;
  /** Label key that names the slot. */
  serviceLabel: string;
  /** uid:gid, so the slot's log in the run directory belongs to whoever runs the harness. */
  user?: string;
  /** `host:container[:mode]` mounts: the app's folder (read-only) and the run directory. */
  binds: string[];
  /** Container names start with it (Docker needs unique names). */
  namePrefix: string;
}

export interface BlueGreenState {
  /** HAProxy's runtime API. */
  socket: RuntimeApi;
  backend: string;
  proxyPort: number;
  appScript: string;
  appArgs: string[];
  logDir: string;
  live: SlotName;
  slots: Record<SlotName, SlotState>;
  containers?: SlotContainerSettings;
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
