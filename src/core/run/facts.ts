// The facts an auditor asks of a run, besides what it measured: which harness (and commit), which
// scenario file (and its hash), who ran it, where (OS, kernel, CPUs, load before and after), and the
// versions of the servers, as the environment read them from the binaries it ran.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunFacts } from '../report-model.js';
import type { ProviderName } from '../types.js';
import { TOOL } from './build-report.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** The checkout's commit, read from .git without running git (also in a worktree); null outside one. */
export function gitCommit(root = ROOT): string | null {
  try {
    let gitDir = join(root, '.git');
    if (!existsSync(gitDir)) return null;
    if (statSync(gitDir).isFile()) {
      const m = /^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'));
      if (!m?.[1]) return null;
      gitDir = isAbsolute(m[1]) ? m[1] : resolve(root, m[1]);
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (!ref) return null;
    // A worktree keeps HEAD of its own but shares refs with the main repository.
    const common = existsSync(join(gitDir, 'commondir'))
      ? resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    for (const dir of [gitDir, common]) {
      const loose = join(dir, ref);
      if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
    }
    const packed = join(common, 'packed-refs');
    if (existsSync(packed)) {
      const line = readFileSync(packed, 'utf8')
        .split('\n')
        .find((l) => l.endsWith(` ${ref}`));
      if (line) return line.split(' ')[0] ?? null;
    }
    return null;
  } catch {
    return null;
  }
}

function distro(): string | null {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

const loadAverage = (): [number, number, number] =>
  os.loadavg().map((l) => Math.round(l * 100) / 100) as [number, number, number];

/** Busy and total CPU time of every CPU of the host so far (ms), from os.cpus(). */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * Samples the host's CPU use once a second until `stop`: the mean over the whole time and the
 * busiest second, in percent of all CPUs (every process on the machine counts, not only the run's).
 */
export function sampleHostCpu(intervalMs = 1000): {
  stop(): { meanPct: number; maxPct: number; seconds: number } | undefined;
} {
  const first = cpuTimes();
  let last = first;
  let maxPct = 0;
  let seconds = 0;
  const pct = (a: { busy: number; total: number }, b: { busy: number; total: number }) =>
    b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : 0;
  const timer = setInterval(() => {
    const now = cpuTimes();
    maxPct = Math.max(maxPct, pct(last, now));
    seconds++;
    last = now;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (seconds === 0) return undefined;
      const round = (x: number) => Math.round(x * 10) / 10;
      return { meanPct: round(pct(first, cpuTimes())), maxPct: round(maxPct), seconds };
    },
  };
}

/** The sha256 of a file, hex; null when it cannot be read. */
export function sha256(file: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/** Who runs it: --operator, else CHAOS_HARNESS_OPERATOR, else the OS user. */
export function operatorName(given: string | undefined): string {
  if (given) return given;
  if (process.env.CHAOS_HARNESS_OPERATOR) return process.env.CHAOS_HARNESS_OPERATOR;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Taken when the run starts; `finish` adds what only the end knows. */
export function startFacts(opts: {
  runId: string;
  operator: string | undefined;
  scenarioFile: string;
  provider: ProviderName;
  environmentOptions: Record<string, unknown> | undefined;
}): { finish(versions: Record<string, string>): RunFacts } {
  const loadStart = loadAverage();
  const cpu = sampleHostCpu();
  const cpus = os.cpus();
  const base = {
    harness: { ...TOOL, commit: gitCommit(), root: ROOT },
    runId: opts.runId,
    operator: operatorName(opts.operator),
    scenario: { file: opts.scenarioFile, dir: dirname(opts.scenarioFile), sha256: sha256(opts.scenarioFile) },
    provider: opts.provider,
    environmentOptions: opts.environmentOptions ?? {},
  };
  return {
    finish: (versions) => {
      const cpuBusy = cpu.stop();
      return {
        ...base,
        host: {
          hostname: os.hostname(),
          os: distro() ?? `${os.type()} ${os.release()}`,
          kernel: `${os.type()} ${os.release()}`,
          arch: os.arch(),
          cpus: os.availableParallelism(),
          cpuModel: cpus[0]?.model.trim() ?? 'unknown',
          memoryMiB: Math.round(os.totalmem() / 2 ** 20),
          loadAverageStart: loadStart,
          loadAverageEnd: loadAverage(),
          ...(cpuBusy ? { cpuBusy } : {}),
        },
        versions: { node: process.version, ...versions },
      };
    },
  };
}
