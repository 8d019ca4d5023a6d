// Polling helpers for tests that start real servers.
import { setTimeout as sleep } from 'node:timers/promises';

type Pending = false | undefined;

/**
 * Polls `fn` every `pollMs` until it returns something other than `undefined` or `false`, and
 * returns that; throws an error naming `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | Pending | Promise<T | Pending>,
  timeoutMs: number,
  pollMs = 50,
): Promise<Exclude<T, Pending>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as Exclude<T, Pending>;
    if (performance.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs}ms`);
    await sleep(pollMs);
  }
}

/** Every service's role now, by name (a stack's picture at one moment). */
export async function serviceRoles(env: {
  services: ReadonlyMap<string, { role(): Promise<string | undefined> }>;
}): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const [name, s] of env.services) out[name] = await s.role();
  return out;
}
