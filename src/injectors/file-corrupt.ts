// Damages a service's data file on disk: random pages, the header, a truncation, or the
// SQLite write-ahead log. Not reversible: recovery is the scenario's job (restore a backup).

import { randomInt } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector } from '../core/types.js';

export const fileCorruptParams = z
  .object({
    mode: z.enum(['pages', 'header', 'truncate', 'delete-wal']),
    /** PRNG seed; the same seed on the same file damages the same bytes. Random (and reported) if absent. */
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    /** pages: how many distinct pages to damage. */
    pages: z.number().int().positive().default(4),
    /** pages: bytes per damaged page (default the whole page); header: bytes from offset 0 (default 100);
     * truncate: bytes to cut from the end (default half the file). */
    bytes: z.number().int().positive().optional(),
    /** Key of the target service's dataPaths. */
    path: z.string().default('db'),
    /**
     * none: damage the file under the running service (it keeps its open descriptor and page
     * cache). kill: SIGKILL the service first (a crash: the WAL stays), damage, start it again
     * so it opens the damaged file with a cold cache. stop: clean shutdown first (the WAL is
     * checkpointed into the file and removed, so nothing shadows the damage), damage, start.
     */
    restart: z.enum(['none', 'kill', 'stop']).default('none'),
  })
  .strict();
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
export function sqlitePageSize(fd: number): number {
  const head = Buffer.alloc(18);
  if (readSync(fd, head, 0, 18, 0) < 18 || head.toString('latin1', 0, 15) !== 'SQLite format 3') return 4096;
  const v = head.readUInt16BE(16);
  return v === 1 ? 65536 : v >= 512 ? v : 4096;
}

export interface CorruptionDetails {
  mode: FileCorruptParams['mode'];
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

/** Applies the damage to `file` (synchronously, so the service cannot interleave a checkpoint). */
export function corruptFile(file: string, params: FileCorruptParams): CorruptionDetails {
  const seed = params.seed ?? randomInt(0, 0xffffffff);
  const next = prng(seed);
  if (!existsSync(file)) throw new HarnessError('INJECTION_FAILED', `file-corrupt: ${file} does not exist`);
  const sizeBefore = statSync(file).size;
  const details: CorruptionDetails = {
    mode: params.mode,
    file,
    seed,
    sizeBefore,
    sizeAfter: sizeBefore,
    writes: [],
  };
  if (params.mode === 'delete-wal') {
    // Without a WAL there is nothing to lose: say so rather than report a fault that did nothing.
    if (!existsSync(`${file}-wal`))
      throw new HarnessError(
        'INJECTION_FAILED',
        `file-corrupt: ${file}-wal does not exist (the database is not in WAL mode, or no connection has it open)`,
      );
    details.deleted = [];
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(file + suffix)) {
        details.walBytes ??= statSync(file + suffix).size;
        unlinkSync(file + suffix);
        details.deleted.push(file + suffix);
      }
    }
    return details;
  }
  const fd = openSync(file, 'r+');
  try {
    if (params.mode === 'truncate') {
      const cut = Math.min(sizeBefore, params.bytes ?? Math.ceil(sizeBefore / 2));
      ftruncateSync(fd, sizeBefore - cut);
      details.writes.push({ offset: sizeBefore - cut, bytes: -cut });
    } else if (params.mode === 'header') {
      const n = Math.min(sizeBefore, params.bytes ?? 100);
      writeSync(fd, randomBytesFrom(next, n), 0, n, 0);
      details.writes.push({ offset: 0, bytes: n });
    } else {
      const pageSize = sqlitePageSize(fd);
      details.pageSize = pageSize;
      const pageCount = Math.floor(sizeBefore / pageSize);
      // Page 1 holds the header; damaging it is the `header` mode.
      if (pageCount < 2)
        throw new HarnessError('INJECTION_FAILED', `file-corrupt: ${file} has no page after the header`);
      const want = Math.min(params.pages, pageCount - 1);
      const chosen = new Set<number>();
      while (chosen.size < want) chosen.add(2 + Math.floor(next() * (pageCount - 1)));
      const n = Math.min(pageSize, params.bytes ?? pageSize);
      for (const page of [...chosen].sort((a, b) => a - b)) {
        const offset = (page - 1) * pageSize + Math.floor(next() * (pageSize - n + 1));
        writeSync(fd, randomBytesFrom(next, n), 0, n, offset);
        details.writes.push({ offset, bytes: n, page });
      }
    }
  } finally {
    closeSync(fd);
  }
  details.sizeAfter = statSync(file).size;
  return details;
}

export const fileCorrupt: Injector<FileCorruptParams> = {
  params: fileCorruptParams,
  describe: (p) => `corrupt ${p.path} (${p.mode}${p.mode === 'pages' ? `, ${p.pages} pages` : ''})`,
  async inject(ctx, params, target): Promise<InjectedFault> {
    const service = await ctx.env.resolve(target, ctx.signal);
    const file = service.dataPaths[params.path];
    if (file === undefined) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `file-corrupt: service ${service.name} has no data path "${params.path}"`,
      );
    }
    if (params.restart === 'kill') await service.kill('SIGKILL');
    if (params.restart === 'stop') await service.stop();
    const details = corruptFile(file, params);
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
