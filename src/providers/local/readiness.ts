import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../core/errors.js';

export type ReadyCheck =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string; status: number }
  | { kind: 'command'; argv: readonly string[] }
  /** Anything a provider can ask (a container's healthcheck status); `test` never throws. */
  | { kind: 'custom'; description: string; test: (timeoutMs: number) => Promise<boolean> };

export function describeCheck(c: ReadyCheck): string {
  if (c.kind === 'tcp') return `TCP connect to ${c.host}:${c.port}`;
  if (c.kind === 'http') return `HTTP ${c.status} from ${c.url}`;
  if (c.kind === 'custom') return c.description;
  return `command \`${c.argv.join(' ')}\` exiting 0`;
}

/** One attempt; resolves true when the check passes. Never throws. */
export async function checkOnce(c: ReadyCheck, timeoutMs: number): Promise<boolean> {
  if (c.kind === 'custom') return c.test(timeoutMs).catch(() => false);
  if (c.kind === 'tcp') {
    return new Promise<boolean>((resolve) => {
      const s = connect({ host: c.host, port: c.port });
      const done = (ok: boolean) => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(timeoutMs, () => done(false));
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
    });
  }
  if (c.kind === 'http') {
    try {
      const res = await fetch(c.url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      return res.status === c.status;
    } catch {
      return false;
    }
  }
  return new Promise<boolean>((resolve) => {
    const [cmd, ...args] = c.argv;
    const child = spawn(cmd as string, args, { stdio: 'ignore', timeout: timeoutMs });
    child.once('exit', (code) => resolve(code === 0));
    child.once('error', () => resolve(false));
  });
}

/**
 * Poll until the check passes. Fails early when `alive()` says the process died, so a
 * service that crashes on boot is reported at once, not after the timeout.
 */
export async function waitUntilReady(
  subject: string,
  c: ReadyCheck,
  opts: { timeoutMs: number; intervalMs: number; signal?: AbortSignal | undefined; alive?: () => boolean },
): Promise<void> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    if (opts.alive && !opts.alive()) {
      throw new HarnessError('PROCESS_EXITED', `${subject} exited before it was ready (${describeCheck(c)})`);
    }
    if (await checkOnce(c, Math.max(100, Math.min(2000, opts.intervalMs * 10)))) return;
    if (performance.now() >= deadline) {
      throw new HarnessError(
        'NOT_READY',
        `${subject} was not ready after ${opts.timeoutMs}ms (${describeCheck(c)})`,
      );
    }
    await sleep(opts.intervalMs, undefined, opts.signal ? { signal: opts.signal } : undefined);
  }
}
