// Damages a service's data file: random pages, the header, a truncation, or the SQLite write-ahead
// log. The file is reached through its provider (core/data-files.ts), wherever the service runs.
// Not reversible: recovery is the scenario's job (restore a backup).

import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { type DataFile, dataFilesOf, type FileEdit } from '../core/data-files.js';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector, StartedService } from '../core/types.js';
import { unit } from '../scenario/units.js';

export const fileCorruptParams = z
  .strictObject({
    mode: z
      .enum(['pages', 'header', 'truncate', 'delete-wal'])
      .describe(
        'pages: overwrite random pages; header: the first bytes; truncate: cut the end off; delete-wal: remove the SQLite write-ahead log',
      ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(0xffffffff)
      .optional()
      .describe(
        'PRNG seed: the same seed on the same file damages the same bytes (default: random, and reported)',
      ),
    pages: z.number().int().positive().default(4).describe('mode pages: how many distinct pages to damage'),
    bytes: unit(
      z
        .number()
        .int()
        .positive()
        .optional()
        .describe(
          'pages: bytes per damaged page (default the whole page); header: bytes from offset 0 (default 100); truncate: bytes cut from the end (default half the file)',
        ),
      'bytes',
    ),
    path: z
      .string()
      .default('db')
      .describe("key of the target service's data file (its `dataPaths` / files)"),
    restart: z
      .enum(['none', 'kill', 'stop'])
      .default('none')
      .describe(
        'none: damage the file under the running service (it keeps its open descriptor and page cache); kill: SIGKILL it first (a crash: the WAL stays), damage, start it again with a cold cache; stop: clean shutdown first (the WAL is checkpointed and removed), damage, start',
      ),
  })
  .meta({
    description:
      "Damages a data file of the target service (random pages, the header, a truncation, or the SQLite WAL), reached through its provider wherever the service runs. Not reversible: recovery is the scenario's job (restore a backup).",
    examples: [{ target: { service: 'trade-store' }, mode: 'pages', pages: 8, seed: 1 }],
  });
export type FileCorruptParams = z.infer<typeof fileCorruptParams>;

/** mulberry32: tiny, seedable, good enough to pick offsets reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytesFrom(next: () => number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i++) buf[i] = Math.floor(next() * 256);
  return buf;
}

/** SQLite page size from the header (offset 16, big-endian; 1 means 65536); 4096 if unreadable. */
export function sqlitePageSize(head: Buffer): number {
  if (head.length < 18 || head.toString('latin1', 0, 15) !== 'SQLite format 3') return 4096;
  const v = head.readUInt16BE(16);
  return v === 1 ? 65536 : v >= 512 ? v : 4096;
}

export interface CorruptionDetails {
  mode: FileCorruptParams['mode'];
  /** Where the provider keeps the file (its own words: a path, or container:path). */
  file: string;
  seed: number;
  sizeBefore: number;
  sizeAfter: number;
  writes: { offset: number; bytes: number; page?: number }[];
  pageSize?: number;
  deleted?: string[];
  /** delete-wal: size of the deleted WAL (committed writes not yet checkpointed live there). */
  walBytes?: number;
}

/**
 * Applies the damage to `file`. Offsets are chosen first; the damage itself is one edit of the
 * provider's (see DataFile.edit), so the service has as little chance as possible to interleave a
 * checkpoint.
 */
export async function corruptFile(
  file: DataFile,
  params: FileCorruptParams,
  signal?: AbortSignal,
): Promise<CorruptionDetails> {
  const seed = params.seed ?? randomInt(0, 0xffffffff);
  const next = prng(seed);
  const st = await file.stat(signal);
  if (!st) throw new HarnessError('INJECTION_FAILED', `file-corrupt: ${file.location} does not exist`);
  const sizeBefore = st.size;
  const details: CorruptionDetails = {
    mode: params.mode,
    file: file.location,
    seed,
    sizeBefore,
    sizeAfter: sizeBefore,
    writes: [],
  };
  if (params.mode === 'delete-wal') {
    const wal = file.sidecar('-wal');
    // Without a WAL there is nothing to lose: say so rather than report a fault that did nothing.
    const walSize = await wal.stat(signal);
    if (!walSize)
      throw new HarnessError(
        'INJECTION_FAILED',
        `file-corrupt: ${wal.location} does not exist (the database is not in WAL mode, or no connection has it open)`,
      );
    details.walBytes = walSize.size;
    details.deleted = [];
    for (const f of [wal, file.sidecar('-shm')]) if (await f.remove(signal)) details.deleted.push(f.location);
    return details;
  }
  const edits: FileEdit[] = [];
  if (params.mode === 'truncate') {
    const cut = Math.min(sizeBefore, params.bytes ?? Math.ceil(sizeBefore / 2));
    edits.push({ truncateTo: sizeBefore - cut });
    details.writes.push({ offset: sizeBefore - cut, bytes: -cut });
  } else if (params.mode === 'header') {
    const n = Math.min(sizeBefore, params.bytes ?? 100);
    edits.push({ at: 0, write: randomBytesFrom(next, n) });
    details.writes.push({ offset: 0, bytes: n });
  } else {
    const pageSize = sqlitePageSize(await file.read(0, 18, signal));
    details.pageSize = pageSize;
    const pageCount = Math.floor(sizeBefore / pageSize);
    // Page 1 holds the header; damaging it is the `header` mode.
    if (pageCount < 2)
      throw new HarnessError(
        'INJECTION_FAILED',
        `file-corrupt: ${file.location} has no page after the header`,
      );
    const want = Math.min(params.pages, pageCount - 1);
    const chosen = new Set<number>();
    while (chosen.size < want) chosen.add(2 + Math.floor(next() * (pageCount - 1)));
    const n = Math.min(pageSize, params.bytes ?? pageSize);
    for (const page of [...chosen].sort((a, b) => a - b)) {
      const offset = (page - 1) * pageSize + Math.floor(next() * (pageSize - n + 1));
      edits.push({ at: offset, write: randomBytesFrom(next, n) });
      details.writes.push({ offset, bytes: n, page });
    }
  }
  await file.edit(edits, signal);
  details.sizeAfter = (await file.stat(signal))?.size ?? 0;
  return details;
}

function dataFile(service: StartedService, key: string): DataFile {
  try {
    return dataFilesOf(service).get(key);
  } catch (err) {
    throw new HarnessError('INJECTION_FAILED', `file-corrupt: ${(err as Error).message}`, { cause: err });
  }
}

export const fileCorrupt: Injector<FileCorruptParams> = {
  params: fileCorruptParams,
  describe: (p) => `corrupt ${p.path} (${p.mode}${p.mode === 'pages' ? `, ${p.pages} pages` : ''})`,
  async inject(ctx, params, target): Promise<InjectedFault> {
    const service = await ctx.env.resolve(target, ctx.signal);
    const file = dataFile(service, params.path);
    if (params.restart === 'kill') await service.kill('SIGKILL');
    if (params.restart === 'stop') await service.stop();
    const details = await corruptFile(file, params, ctx.signal);
    if (params.restart !== 'none') await service.start(ctx.signal);
    const crash = params.restart === 'kill' ? ' across a crash (SIGKILL, restart)' : '';
    const description =
      params.mode === 'delete-wal'
        ? `deleted the WAL (${details.walBytes} bytes) of ${service.name}:${params.path}${crash}`
        : `${params.mode} damage to ${service.name}:${params.path}${crash} (seed ${details.seed})`;
    ctx.log(`file-corrupt: ${description}: ${JSON.stringify(details.deleted ?? details.writes.slice(0, 8))}`);
    return {
      description,
      reversible: false,
      details: { ...details, service: service.name, restart: params.restart },
      async [Symbol.asyncDispose]() {
        // A corruption cannot be undone in place; the recovery action restores a backup.
      },
    };
  },
};
