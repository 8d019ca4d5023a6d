// Versions of the server binaries a run used, read from the binaries themselves (`postgres
// --version`, `haproxy -v`), on the host or inside the service's container, for the report's facts.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ManagedContainer } from './containers/managed-container.js';

/** Runs an argv where the service runs and returns what it printed. */
export type RunArgv = (argv: readonly string[]) => Promise<string>;

export const onHost: RunArgv = async ([cmd, ...args]) => {
  const r = await promisify(execFile)(cmd as string, args, { timeout: 5000 });
  return `${r.stdout}${r.stderr}`;
};

export function inContainer(c: ManagedContainer): RunArgv {
  return async (argv) => {
    const r = await c.exec([...argv]);
    if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.output.trim()}`);
    return r.output;
  };
}

/** name → the first line each argv prints ("postgres (PostgreSQL) 15.14"), or why it could not be read. */
export async function binaryVersions(
  run: RunArgv,
  wanted: Readonly<Record<string, readonly string[]>>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, argv] of Object.entries(wanted)) {
    try {
      out[name] =
        (await run(argv))
          .split('\n')
          .find((l) => l.trim() !== '')
          ?.trim() ?? 'unknown (no output)';
    } catch (err) {
      out[name] = `unknown (${argv.join(' ')}: ${(err as Error).message.split('\n')[0]})`;
    }
  }
  return out;
}
