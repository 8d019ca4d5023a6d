// Kernel objects and files a process keeps only while it lives, but that outlive it when it is
// SIGKILLed: SysV shared memory and semaphores (postgres' interlock segment, pg_autoctl's log
// lock), POSIX shared memory in /dev/shm (postgres' dynamic shared memory) and listening unix
// sockets with their lock files (/var/run/postgresql/.s.PGSQL.<port>.lock). They are found from
// the live processes themselves, so nothing has to be registered in advance: take the picture
// while the processes live, kill them, then release what the picture names and is still there.

import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { promisify } from 'node:util';

export interface HeldResources {
  /** SysV shared memory segments created or last used by one of the processes. */
  shm: { id: number; key: string; cpid: number }[];
  /** SysV semaphore sets one of the processes operated on last (sempid). */
  sem: { id: number; key: string; ctime: string }[];
  /** Files under /dev/shm the processes had mapped. */
  shmFiles: string[];
  /** Unix sockets the processes listened on; a `<path>.lock` beside one is removed with it when it names one of the pids. */
  sockets: string[];
}

export interface Released {
  shm: number;
  sem: number;
  shmFiles: number;
  sockets: number;
}

export const nothingHeld = (): HeldResources => ({ shm: [], sem: [], shmFiles: [], sockets: [] });

function table(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
  } catch {
    return [];
  }
}

interface ShmRow {
  key: string;
  id: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

// /proc/sysvipc/shm: key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime ...
function shmRows(): ShmRow[] {
  return table('/proc/sysvipc/shm').map((c) => ({
    key: c[0] ?? '',
    id: Number(c[1]),
    cpid: Number(c[4]),
    lpid: Number(c[5]),
    nattch: Number(c[6]),
  }));
}

interface SemRow {
  key: string;
  id: number;
  uid: number;
  ctime: string;
}

// /proc/sysvipc/sem: key semid perms nsems uid gid cuid cgid otime ctime
function semRows(): SemRow[] {
  return table('/proc/sysvipc/sem').map((c) => ({
    key: c[0] ?? '',
    id: Number(c[1]),
    uid: Number(c[4]),
    ctime: c[9] ?? '',
  }));
}

// ipcs and ipcrm run while a fault is being injected (a crashed postgres node releases what it
// held): run synchronously, one per semaphore set of the user, they stalled the harness's event
// loop, and so its probes' schedule, for 27-38 ms at every postgres-kill-primary.
const run = promisify(execFile);

/**
 * Pids that last operated on each semaphore of the given sets, by set id (`ipcs -s -i`: a
 * "semid=N" header, then rows of semnum value ncount zcount pid). One shell for every set: each
 * spawn blocks the event loop for a few ms while it forks.
 */
async function semPids(ids: readonly number[]): Promise<Map<number, number[]>> {
  const pids = new Map<number, number[]>();
  if (ids.length === 0) return pids;
  let out: string;
  try {
    // A set removed meanwhile makes its ipcs fail; the others still print.
    const script = `${ids.map((id) => `ipcs -s -i ${id}`).join('; ')}; exit 0`;
    out = (
      await run('sh', ['-c', script], {
        encoding: 'utf8',
        timeout: 2000,
        env: { ...process.env, LC_ALL: 'C' },
      })
    ).stdout;
  } catch {
    return pids;
  }
  let current: number[] | undefined;
  let inTable = false;
  for (const line of out.split('\n')) {
    const head = /semid=(\d+)/.exec(line);
    if (head) {
      current = [];
      pids.set(Number(head[1]), current);
      inTable = false;
      continue;
    }
    const cols = line.trim().split(/\s+/);
    if (cols[0] === 'semnum') inTable = true;
    else if (inTable && cols.length >= 5 && /^\d+$/.test(cols[0] ?? '')) current?.push(Number(cols[4]));
  }
  return pids;
}

async function uidOf(pid: number): Promise<number | undefined> {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function mappedShmFiles(pid: number, into: Set<string>): Promise<void> {
  let maps: string;
  try {
    maps = await readFile(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return;
  }
  for (const line of maps.split('\n')) {
    const i = line.indexOf(' /dev/shm/');
    if (i >= 0) into.add(line.slice(i + 1).replace(/ \(deleted\)$/, ''));
  }
}

const PG_DSM_CONTROL_MAGIC = 0x9a503d32;
const PG_DSM_ITEM_BYTES = 40; // handle u32, refcnt u32, first_page, npages, impl_private (8 each), pinned bool, padding

/**
 * A postgres dynamic-shared-memory control segment lists every segment of its cluster, also
 * pinned ones no process maps at the moment (postgres reads the same list to clean up after a
 * crash). Layout (src/backend/storage/ipc/dsm.c, 64-bit): magic, nitems, maxitems, items at 16.
 */
function postgresDsmSegments(file: string): string[] {
  if (!/\/PostgreSQL\.\d+$/.test(file)) return [];
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(16);
    if (readSync(fd, head, 0, 16, 0) < 16 || head.readUInt32LE(0) !== PG_DSM_CONTROL_MAGIC) return [];
    const nitems = Math.min(head.readUInt32LE(4), head.readUInt32LE(8), 100_000);
    const items = Buffer.alloc(nitems * PG_DSM_ITEM_BYTES);
    readSync(fd, items, 0, items.length, 16);
    const out: string[] = [];
    for (let i = 0; i < nitems; i++) {
      const handle = items.readUInt32LE(i * PG_DSM_ITEM_BYTES);
      const refcnt = items.readUInt32LE(i * PG_DSM_ITEM_BYTES + 4);
      const path = `/dev/shm/PostgreSQL.${handle}`;
      if (refcnt > 0 && existsSync(path)) out.push(path);
    }
    return out;
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function socketInodes(pid: number, into: Set<string>): Promise<void> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return;
  }
  await Promise.all(
    fds.map(async (fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
        if (m?.[1]) into.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }),
  );
}

/** What the given (live) processes hold that would outlive a SIGKILL. */
export async function heldResources(pidList: Iterable<number>): Promise<HeldResources> {
  const pids = new Set(pidList);
  const held = nothingHeld();
  if (pids.size === 0) return held;
  for (const r of shmRows()) {
    if (pids.has(r.cpid) || pids.has(r.lpid)) held.shm.push({ id: r.id, key: r.key, cpid: r.cpid });
  }
  const uids = new Set<number>();
  const files = new Set<string>();
  const inodes = new Set<string>();
  // Read through the thread pool: this runs while a fault is injected, and read synchronously
  // the maps and file descriptors of a postgres node's 20-odd processes stalled the event loop
  // (and the probes' schedule) for about 20 ms.
  await Promise.all(
    [...pids].map(async (pid) => {
      const uid = await uidOf(pid);
      if (uid !== undefined) uids.add(uid);
      await Promise.all([mappedShmFiles(pid, files), socketInodes(pid, inodes)]);
    }),
  );
  const sets = semRows().filter((r) => uids.has(r.uid));
  const users = await semPids(sets.map((r) => r.id));
  for (const r of sets) {
    if (users.get(r.id)?.some((p) => pids.has(p))) held.sem.push({ id: r.id, key: r.key, ctime: r.ctime });
  }
  for (const f of [...files]) for (const seg of postgresDsmSegments(f)) files.add(seg);
  held.shmFiles = [...files];
  for (const s of listeningSockets()) if (inodes.has(s.inode)) held.sockets.push(s.path);
  return held;
}

// /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 = listening.
function listeningSockets(): { inode: string; path: string }[] {
  const out: { inode: string; path: string }[] = [];
  for (const c of table('/proc/net/unix')) {
    const [, , , flags, , , inode, path] = c;
    if (path?.startsWith('/') && inode && (Number.parseInt(flags ?? '0', 16) & 0x10000) !== 0) {
      out.push({ inode, path });
    }
  }
  return out;
}

function listeningSocketPaths(): Set<string> {
  return new Set(listeningSockets().map((s) => s.path));
}

async function ipcrm(kind: '-m' | '-s', id: number): Promise<boolean> {
  try {
    await run('ipcrm', [kind, String(id)], { timeout: 2000 });
    return true;
  } catch {
    return false;
  }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/**
 * Release what `heldResources` found, once its processes are gone. Only objects that are still
 * the same ones are touched: a segment with the same id, key and creator and no process
 * attached, a semaphore set with the same id, key and change time, a lock file naming one of `pids`.
 */
export async function releaseResources(held: HeldResources, pids: ReadonlySet<number>): Promise<Released> {
  const done: Released = { shm: 0, sem: 0, shmFiles: 0, sockets: 0 };
  if (held.shm.length > 0) {
    const now = shmRows();
    for (const s of held.shm) {
      const r = now.find((x) => x.id === s.id);
      if (r && r.key === s.key && r.cpid === s.cpid && r.nattch === 0 && (await ipcrm('-m', s.id)))
        done.shm++;
    }
  }
  if (held.sem.length > 0) {
    const now = semRows();
    for (const s of held.sem) {
      const r = now.find((x) => x.id === s.id);
      if (r && r.key === s.key && r.ctime === s.ctime && (await ipcrm('-s', s.id))) done.sem++;
    }
  }
  for (const f of held.shmFiles) {
    try {
      rmSync(f);
      done.shmFiles++;
    } catch {
      // already removed by its owner
    }
  }
  const listening = held.sockets.length > 0 ? listeningSocketPaths() : new Set<string>();
  for (const path of held.sockets) {
    // Someone else may have bound the path since (postgres unlinks a stale socket first).
    if (!isSocket(path) || listening.has(path)) continue;
    rmSync(path, { force: true });
    done.sockets++;
    const lock = `${path}.lock`;
    try {
      const owner = Number(readFileSync(lock, 'utf8').split('\n')[0]);
      if (pids.has(owner)) rmSync(lock, { force: true });
    } catch {
      // no lock file
    }
  }
  return done;
}

export function describeReleased(r: Released): string {
  const parts = [
    r.sem ? `${r.sem} semaphore set(s)` : '',
    r.shm ? `${r.shm} shared-memory segment(s)` : '',
    r.shmFiles ? `${r.shmFiles} /dev/shm file(s)` : '',
    r.sockets ? `${r.sockets} socket(s)` : '',
  ].filter(Boolean);
  return parts.join(', ');
}

export function addReleased(a: Released, b: Released): Released {
  return {
    shm: a.shm + b.shm,
    sem: a.sem + b.sem,
    shmFiles: a.shmFiles + b.shmFiles,
    sockets: a.sockets + b.sockets,
  };
}
