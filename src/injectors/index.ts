// Fault kinds by scenario `kind`. Adding a kind is one file and one line here.
import type { AnyInjector } from '../core/types.js';
import { commandFault } from './command.js';
import { connectionReset } from './connection-reset.js';
import { deploy } from './deploy.js';
import { fileCorrupt } from './file-corrupt.js';
import { networkBandwidth } from './network-bandwidth.js';
import { networkLatency } from './network-latency.js';
import { networkPartition } from './network-partition.js';
import { postgresDestroy } from './postgres-destroy.js';
import { postgresKillPrimary } from './postgres-kill-primary.js';
import { processKill, processPause, processSignal, processStop } from './process-signal.js';
import { redisKillMaster } from './redis-kill-master.js';

export const builtinInjectors = {
  // registry: one line per kind, keep sorted
  command: commandFault,
  'connection-reset': connectionReset,
  deploy,
  'file-corrupt': fileCorrupt,
  'network-bandwidth': networkBandwidth,
  'network-latency': networkLatency,
  'network-partition': networkPartition,
  'postgres-destroy': postgresDestroy,
  'postgres-kill-primary': postgresKillPrimary,
  'process-kill': processKill,
  'process-pause': processPause,
  'process-signal': processSignal,
  'process-stop': processStop,
  'redis-kill-master': redisKillMaster,
} satisfies Record<string, AnyInjector>;

export type InjectorKind = keyof typeof builtinInjectors;
