import type { BlueGreenState } from './state.js';

export function docker(args: readonly string[], timeoutMs?: number): Promise<string>;
export function containerState(
  id: string | null | undefined,
): Promise<{ Running: boolean; Paused: boolean; ExitCode: number; Status: string } | undefined>;
export function containerIp(id: string, network: string): Promise<string>;
export function runSlotContainer(
  state: BlueGreenState,
  slot: string,
  version: string,
): Promise<{ id: string; log: string }>;
export function removeContainer(id: string, graceMs?: number): Promise<string>;
