// Detection: opens the service's database file read-only on every tick (a fresh connection,
// so nothing is served from the service's page cache) and runs quick_check or integrity_check:
// the live file where the harness shares the service's file system, else a consistent copy.
// An op fails while the file is damaged; the first failure is the detection time (MTTD).
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { type DataFile, dataFilesOf } from '../core/data-files.js';
import type { Probe, RunningProbe } from '../core/types.js';
import { OpenLoop } from './open-loop.js';

export type IntegrityResult = { ok: true } | { ok: false; error: string };

/**
 * Checks a SQLite file without modifying it. SQLITE_CORRUPT / SQLITE_NOTADB (thrown) and any
 * report other than "ok" mean damaged; small damage is invisible to normal queries, so only a
 * check that walks every page finds it.
 */
export function checkSqliteFile(path: string, check: 'quick' | 'full' = 'full'): IntegrityResult {
  if (!existsSync(path)) return { ok: false, error: `${path} does not exist` };
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const report = db.pragma(check === 'quick' ? 'quick_check' : 'integrity_check', { simple: true });
    if (report === 'ok') return { ok: true };
    return { ok: false, error: String(report).split('\n').slice(0, 3).join(' | ') };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const msg = err instanceof Error ? err.message : String(err);
    return { ok: false, error: typeof code === 'string' ? `${code}: ${msg}` : msg };
  } finally {
    try {
      db?.close();
    } catch {
      // a connection to a damaged file may fail to close; nothing to release then
    }
  }
}

/** Bytes of the WAL header, whose salts change when SQLite restarts the WAL from its start. */
const WAL_HEADER_BYTES = 32;

/**
 * The same check on a service's data file, wherever its provider keeps it: the live file where the
 * harness shares the service's file system (SQLite's locks make the read consistent), else a copy
 * of the file and its WAL. A copy is consistent unless SQLite restarted the WAL while it was taken:
 * a checkpoint during the copy leaves the copied file torn, which is harmless while the copied WAL
 * still holds every frame the checkpoint wrote back, and a restart means it may not; so the copy
 * is taken again when the WAL header changed meanwhile (DataFile.openLocal's stableHeaderBytes).
 */
export async function checkSqliteDataFile(
  file: DataFile,
  check: 'quick' | 'full',
  signal?: AbortSignal,
): Promise<IntegrityResult> {
  await using local = await file.openLocal({ with: ['-wal'], stableHeaderBytes: WAL_HEADER_BYTES }, signal);
  const res = checkSqliteFile(local.path, check);
  // A copy's own path means nothing to a reader of the report: name the service's file.
  return res.ok || !local.copied
    ? res
    : { ok: false, error: res.error.replaceAll(local.path, file.location) };
}

export const sqliteIntegrityParams = z
  .strictObject({
    path: z
      .string()
      .default('db')
      .describe("key of the target service's data file (its `dataPaths` / files)"),
    check: z.enum(['quick', 'full']).default('quick').describe('PRAGMA quick_check or integrity_check'),
  })
  .meta({
    description:
      'Checks a SQLite data file of the target service at a fixed rate; a failed check is a failed operation and a `detected` event (damage), which starts a recovery action. Its series `damaged` is 1 while the check fails.',
    examples: [
      {
        name: 'integrity',
        target: { service: 'trade-store' },
        path: 'db',
        check: 'quick',
        interval: '250ms',
        timeout: '5s',
      },
    ],
  });
export type SqliteIntegrityParams = z.infer<typeof sqliteIntegrityParams>;

interface Interval {
  startMs: number;
  endMs?: number;
}

export const sqliteIntegrity: Probe<SqliteIntegrityParams> = {
  params: sqliteIntegrityParams,
  series: ['damaged'],
  async start(ctx, params, common): Promise<RunningProbe> {
    const service = await ctx.env.resolve(common.target, ctx.signal);
    const file = dataFilesOf(service).get(params.path);
    const damaged: { tMs: number; value: number }[] = [];
    const intervals: Interval[] = [];
    let firstDamageMs: number | undefined;
    // The check itself is synchronous (it blocks the harness for its few ms; a provider that has to
    // copy the file first adds that time before it); results are recorded in issue order, so a
    // late result never reopens a closed interval out of order.
    const loop = new OpenLoop({
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      clock: ctx.clock,
      op: async () => {
        const startMs = ctx.clock.now();
        const res = await checkSqliteDataFile(file, params.check, ctx.signal);
        damaged.push({ tMs: startMs, value: res.ok ? 0 : 1 });
        const open = intervals.at(-1);
        if (res.ok) {
          if (open && open.endMs === undefined) open.endMs = startMs;
          return undefined;
        }
        if (!open || open.endMs !== undefined) {
          intervals.push({ startMs });
          firstDamageMs ??= startMs;
          ctx.emit(
            'detected',
            `${common.name}: ${file.location} failed ${params.check}_check: ${res.error}`,
            {
              probe: common.name,
              what: 'damage',
              file: file.location,
              checkStartMs: startMs,
              checkEndMs: ctx.clock.now(),
              error: res.error,
            },
          );
        }
        throw new Error(res.error);
      },
    });
    loop.start();
    return {
      name: common.name,
      kind: 'sqlite-integrity',
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      ops: () => loop.ops,
      stop: () => loop.stop(),
      samples: () => ({ damaged }),
      summary: () => ({
        file: file.location,
        check: params.check,
        firstDamageMs,
        damageIntervals: intervals,
      }),
      [Symbol.asyncDispose]: () => loop.stop(),
    };
  },
};
