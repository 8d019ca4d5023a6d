// HAProxy in TCP mode as a reference proxy for the bench: a child process with a config in a
// temporary directory, one `listen` section per route on 127.0.0.1. Disposing it (or stopNow(),
// for exit and signal handlers) stops the process and removes the directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { waitUntilReady } from '../src/providers/local/readiness.js';

export interface StartedHaproxy extends AsyncDisposable {
  readonly pid: number;
  /** First line of `haproxy -v`. */
  readonly version: string;
  /** Listen port of each route. */
  readonly ports: Readonly<Record<string, number>>;
  /** Synchronous stop for exit paths: SIGKILL and remove the temporary directory. */
  stopNow(): void;
}

export const HAPROXY_BINARY = '/usr/sbin/haproxy';

function config(routes: Readonly<Record<string, { listen: number; upstream: number }>>): string {
  const lines = [
    'global',
    // One thread, like the fault proxy's one event loop; a single connection uses one anyway.
    '  nbthread 1',
    '  maxconn 64',
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 60s',
    '  timeout server 60s',
  ];
  for (const [name, r] of Object.entries(routes)) {
    lines.push(`listen ${name}`, `  bind 127.0.0.1:${r.listen}`, `  server ${name} 127.0.0.1:${r.upstream}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Starts HAProxy proxying each route name → upstream port; resolves once every port accepts. */
export async function startHaproxy(
  upstreams: Readonly<Record<string, number>>,
  binary = HAPROXY_BINARY,
): Promise<StartedHaproxy> {
  if (!existsSync(binary)) {
    throw new Error(`${binary} was not found: install the Debian package "haproxy" (scripts/setup.sh does)`);
  }
  const version = execFileSync(binary, ['-v'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  const routes: Record<string, { listen: number; upstream: number }> = {};
  for (const [name, upstream] of Object.entries(upstreams)) {
    routes[name] = { listen: await getPort({ host: '127.0.0.1' }), upstream };
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-haproxy-'));
  let child: ChildProcess | undefined;
  let stderr = '';
  const stopNow = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, config(routes));
    // -db: stay in the foreground, no daemon, so the child is HAProxy itself.
    child = spawn(binary, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const running = child;
    const ports = Object.fromEntries(Object.entries(routes).map(([n, r]) => [n, r.listen]));
    for (const port of Object.values(ports)) {
      await waitUntilReady(
        'haproxy',
        { kind: 'tcp', host: '127.0.0.1', port },
        {
          timeoutMs: 5000,
          intervalMs: 20,
          alive: () => running.exitCode === null && running.signalCode === null,
        },
      ).catch((err: Error) => {
        throw new Error(`${err.message}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, { cause: err });
      });
    }
    return {
      pid: running.pid ?? 0,
      version,
      ports,
      stopNow,
      async [Symbol.asyncDispose]() {
        if (running.exitCode === null && running.signalCode === null) {
          const gone = new Promise((resolve) => running.once('exit', resolve));
          // SIGTERM is HAProxy's hard stop: it closes every connection and exits.
          running.kill('SIGTERM');
          const timer = setTimeout(() => running.kill('SIGKILL'), 2000);
          await gone;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    stopNow();
    throw err;
  }
}
