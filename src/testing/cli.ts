// The harness's CLI as a child process, the way a user or CI runs it, for tests that signal it
// (SIGINT, SIGTERM, SIGKILL) mid-run: its combined output so far, and its exit code.
import { type ChildProcess, spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../scenario/load.js';

export interface RunningCli {
  child: ChildProcess;
  /** stdout and stderr as received so far, interleaved. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * `bin/chaos-harness.js <args>` from the project root, with extra environment variables; with
 * `group`, in a process group of its own (as a terminal's foreground job: signal `-pid`).
 */
export function startCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  opts: { group?: boolean } = {},
): RunningCli {
  const child = spawn(process.execPath, ['bin/chaos-harness.js', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: Boolean(opts.group),
  });
  let text = '';
  child.stdout?.on('data', (d) => {
    text += d;
  });
  child.stderr?.on('data', (d) => {
    text += d;
  });
  return { child, output: () => text, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}
