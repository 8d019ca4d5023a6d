// Fault kinds by scenario `kind`. Adding a kind is one file and one line here.
import type { AnyInjector } from '../core/types.js';
import { deploy } from './deploy.js';
import { fileCorrupt } from './file-corrupt.js';
import { processKill, processPause, processSignal, processStop } from './process-signal.js';
import { redisKillMaster } from './redis-kill-master.js';

export const builtinInjectors = {
  // registry: one line per kind, keep sorted
  deploy,
  'process-kill': processKill,
  'process-pause': processPause,
  'process-signal': processSignal,
  'process-stop': processStop,
  'file-corrupt': fileCorrupt,
  'redis-kill-master': redisKillMaster,
} satisfies Record<string, AnyInjector>;

export type InjectorKind = keyof typeof builtinInjectors;
