// Open-loop INSERTs of unique keys into the writable PostgreSQL primary, following failovers the
// way a libpq client with target_session_attrs=read-write would (node-postgres has no multi-host URIs).
import pg from 'pg';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { Probe, RunningProbe, VerifyResult } from '../core/types.js';
import { within } from '../core/within.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { getPostgresController, type PgEndpoint, type PostgresController } from '../stacks/postgres.js';
import { abortable, pollUntil, queryOnce } from '../stacks/postgres-client.js';
import { runOpenLoop } from './running-open-loop.js';

export const postgresWriteParams = withMsNames(
  z
    .strictObject({
      table: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
        .default('chaos_writes')
        .describe('the table the probe owns: dropped and created at start'),
      poolSize: z
        .number()
        .int()
        .min(1)
        .max(64)
        .default(8)
        .describe(
          'connections to the primary; open loop needs several so one slow commit does not queue the rest',
        ),
      verifyTimeout: positiveDuration
        .default(30_000)
        .describe('bound on reading every key back after recovery'),
    })
    .meta({
      description:
        'Open-loop INSERTs of unique keys into the writable PostgreSQL primary (postgres-ha), following failovers as a libpq client with target_session_attrs=read-write would; after recovery every acknowledged key is read back, so it measures rpo, lost-writes and lost-writes-after-fault.',
      examples: [{ name: 'writes', interval: '20ms', timeout: '1s' }],
    }),
  ['verifyTimeout'],
);

export type PostgresWriteParams = z.infer<typeof postgresWriteParams>;

interface Current {
  pool: pg.Pool;
  node: PgEndpoint;
}

/**
 * The pool of the node that accepted writes last. Any failed statement drops it, and the next
 * op looks for the writable node again (one shared look-up, so an outage does not fan out).
 */
class PrimaryPool {
  #current: Current | undefined;
  #finding: Promise<Current> | undefined;
  discoveries = 0;
  readonly nodesUsed: string[] = [];

  constructor(
    private readonly ctrl: PostgresController,
    private readonly poolSize: number,
    private readonly timeoutMs: number,
  ) {}

  get(signal: AbortSignal): Promise<Current> {
    if (this.#current) return Promise.resolve(this.#current);
    this.#finding ??= this.#find().finally(() => {
      this.#finding = undefined;
    });
    return abortable(this.#finding, signal);
  }

  drop(cur: Current): void {
    if (this.#current !== cur) return;
    this.#current = undefined;
    void cur.pool.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    const cur = this.#current;
    this.#current = undefined;
    if (cur)
      await within(
        cur.pool.end().catch(() => undefined),
        2000,
        undefined,
      );
  }

  async #find(): Promise<Current> {
    this.discoveries++;
    const node = await this.ctrl.writablePrimary(AbortSignal.timeout(Math.max(this.timeoutMs, 1000)));
    if (!node) throw new Error('no node accepts writes now (none is a read-write primary)');
    const pool = new pg.Pool({
      ...this.ctrl.connectionFor(node.name),
      max: this.poolSize,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
      // Later than the client gives up: a cancelled sync-rep wait returns success with only a
      // WARNING (committed locally, maybe not replicated), which must never count as acknowledged.
      statement_timeout: this.timeoutMs * 2 + 1000,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
    });
    pool.on('error', () => undefined);
    if (this.nodesUsed.at(-1) !== node.name) this.nodesUsed.push(node.name);
    this.#current = { pool, node };
    return this.#current;
  }
}

async function readBack(
  ctrl: PostgresController,
  table: string,
  keys: ReadonlySet<string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<VerifyResult> {
  const rows = await pollUntil(
    `postgres-write: reading ${keys.size} keys back from the primary`,
    async (s) => {
      const node = (await ctrl.writablePrimary(s)) ?? (await ctrl.primary(s));
      return queryOnce<{ k: string }>(ctrl.connectionFor(node.name), `select k from ${table}`, [], {
        timeoutMs: 10_000,
        signal: s,
      }).catch((err: unknown) => {
        // The table itself is gone (a restore to before it was created): every write is lost.
        if ((err as { code?: string }).code === '42P01') return [];
        throw err;
      });
    },
    { timeoutMs, intervalMs: 200, signal },
  ).catch((cause: unknown) => {
    throw new HarnessError(
      'VERIFY_FAILED',
      `postgres-write: could not read keys back within ${timeoutMs}ms`,
      {
        cause,
      },
    );
  });
  const present = new Set<string>();
  for (const r of rows) if (keys.has(r.k)) present.add(r.k);
  return { present, checked: keys.size };
}

export const postgresWrite: Probe<PostgresWriteParams> = {
  params: postgresWriteParams,
  readsWritesBack: true,
  async start(ctx, p, common): Promise<RunningProbe> {
    const ctrl = getPostgresController(ctx.env, 'postgres-write');
    const table = p.table;
    const setup = AbortSignal.any([ctx.signal, AbortSignal.timeout(30_000)]);
    await pollUntil(
      `postgres-write: table ${table} created on the primary`,
      async (s) => {
        const node = await ctrl.writablePrimary(s);
        if (!node) return undefined;
        const conn = ctrl.connectionFor(node.name);
        await queryOnce(conn, `drop table if exists ${table}`, [], { signal: s, timeoutMs: 5000 });
        await queryOnce(
          conn,
          `create table ${table} (k text primary key, at timestamptz not null default now())`,
          [],
          {
            signal: s,
            timeoutMs: 5000,
          },
        );
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200, signal: setup },
    );

    const primary = new PrimaryPool(ctrl, p.poolSize, common.timeoutMs);
    const keyFor = (id: number) => String(id);
    const insert = `insert into ${table} (k) values ($1)`;
    ctx.log(`postgres-write ${common.name}: inserting into ${table} every ${common.intervalMs}ms`);
    const probe = runOpenLoop(
      ctx,
      'postgres-write',
      common,
      async (signal, id) => {
        const cur = await primary.get(signal);
        try {
          await abortable(cur.pool.query(insert, [keyFor(id)]), signal);
        } catch (err) {
          // Read-only (a node being promoted or demoted), refused, reset: look for the primary again.
          if (!signal.aborted) primary.drop(cur);
          throw err;
        }
        return { key: keyFor(id) };
      },
      {
        keyFor,
        verify: (signal) => {
          const keys = new Set<string>();
          for (const o of probe.ops()) if (o.key !== undefined && o.outcome !== 'fail') keys.add(o.key);
          return readBack(ctrl, table, keys, p.verifyTimeoutMs, signal);
        },
        summary: () => ({ table, discoveries: primary.discoveries, primaries: [...primary.nodesUsed] }),
        close: () => primary.close(),
      },
    );
    return probe;
  },
};
