// Workload/probe kinds by scenario `kind`. Adding a kind is one file and one line here.
import type { AnyProbe } from '../core/types.js';
import { commandProbe } from './command.js';
import { httpProbe } from './http.js';
import { httpLoad } from './http-load.js';
import { httpWrite } from './http-write.js';
import { postgresReplicationLag } from './postgres-replication-lag.js';
import { postgresWrite } from './postgres-write.js';
import { redisClusterWrite } from './redis-cluster-write.js';
import { redisWrite } from './redis-write.js';
import { sqliteIntegrity } from './sqlite-integrity.js';
import { sqliteTrades } from './sqlite-trades.js';
import { tcpProbe } from './tcp.js';

export const builtinProbes = {
  // registry: one line per kind, keep sorted
  command: commandProbe,
  http: httpProbe,
  'http-load': httpLoad,
  'http-write': httpWrite,
  'postgres-replication-lag': postgresReplicationLag,
  'postgres-write': postgresWrite,
  'redis-cluster-write': redisClusterWrite,
  'redis-write': redisWrite,
  'sqlite-integrity': sqliteIntegrity,
  'sqlite-trades': sqliteTrades,
  tcp: tcpProbe,
} satisfies Record<string, AnyProbe>;

export type ProbeKind = keyof typeof builtinProbes;
