// What /proc says about processes: parent, group, start time. The leak sweep decides from these
// which processes belong to a run, so it never has to trust an environment that a server may
// have rewritten (Redis overwrites /proc/<pid>/environ with its process title).

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** Field 3: R, S, D, T, Z, ... */
  state: string;
  ppid: number;
  pgid: number;
  /** Field 22: start time in clock ticks since boot. Tells a reused pid from ours. */
  startTicks: string;
}

/** Fields of /proc/<pid>/stat, or undefined when the process is gone. */
export function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm (field 2) may contain spaces and parentheses; the fields after the last ')' are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgid] = rest;
  const startTicks = rest[19];
  if (state === undefined || ppid === undefined || pgid === undefined || startTicks === undefined) {
    return undefined;
  }
  return { pid, state, ppid: Number(ppid), pgid: Number(pgid), startTicks };
}

/** Every process /proc shows now, except this one. */
export function allProcesses(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const s = procStat(pid);
    if (s) out.push(s);
  }
  return out;
}

/** The roots and every process below them (by ppid), from one picture of /proc. */
export function withDescendants(roots: Iterable<number>, procs: readonly ProcStat[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const out = new Set<number>();
  const todo = [...roots];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    if (out.has(pid)) continue;
    out.add(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function isGone(pid: number): boolean {
  const s = procStat(pid);
  return s === undefined || s.state === 'Z';
}

/** Start ticks compare as numbers (they may exceed 2^53 only after ~2.8 million years of uptime). */
export function startedAtOrAfter(s: ProcStat, ticks: string): boolean {
  return Number(s.startTicks) >= Number(ticks);
}

/** Signal each process that is still the one in the picture (same start ticks). */
export function signalAll(procs: readonly ProcStat[], sig: NodeJS.Signals): void {
  for (const p of procs) {
    if (procStat(p.pid)?.startTicks !== p.startTicks) continue;
    try {
      process.kill(p.pid, sig);
    } catch {
      // gone meanwhile
    }
  }
}

/** Resolves true once none of the processes in the picture is alive (zombies count as gone). */
export async function waitAllGone(procs: readonly ProcStat[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const alive = () =>
    procs.some((p) => {
      const now = procStat(p.pid);
      return now !== undefined && now.startTicks === p.startTicks && now.state !== 'Z';
    });
  while (alive()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A picture of the roots and their descendants, alive ones only. */
export function treeOf(roots: Iterable<number>): ProcStat[] {
  const procs = allProcesses();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const out: ProcStat[] = [];
  for (const pid of withDescendants(roots, procs)) {
    const s = byPid.get(pid);
    if (s && s.state !== 'Z') out.push(s);
  }
  return out;
}
