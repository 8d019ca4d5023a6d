// The host command runner (RunContext.commands) of both providers: a scenario's own commands run as
// children of the harness in their own process group, marked with the run id and named in the run
// record like the services, so nothing they start outlives the run: the group is killed when the
// command ends, on timeout and on abort, and the next run's sweep finds them after a SIGKILL.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { HarnessError } from '../../core/errors.js';
import type { HostCommand, HostCommandResult, HostCommands } from '../../core/types.js';
import { within } from '../../core/within.js';
import { missingBinaryMessage } from './managed-process.js';
import { RUN_MARKER_ENV, recordSpawn } from './run-registry.js';

const DEFAULT_TAIL_BYTES = 2048;
const DEFAULT_KILL_GRACE_MS = 2000;

export interface HostCommandsOptions {
  runId: string;
  /** The working directory of a command that names none (the environment's folder, once known). */
  defaultCwd: () => string | undefined;
}

/** The last `max` bytes of what was written, without holding more than twice that. */
class Tail {
  #chunks: Buffer[] = [];
  #size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer): void {
    this.#chunks.push(b);
    this.#size += b.length;
    if (this.#size > 2 * this.max) {
      const all = Buffer.concat(this.#chunks).subarray(-this.max);
      this.#chunks = [all];
      this.#size = all.length;
    }
  }
  text(): string {
    return Buffer.concat(this.#chunks).subarray(-this.max).toString('utf8');
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is gone
  }
}

function programOf(cmd: HostCommand): { file: string; args: string[] } {
  const [first, ...rest] = cmd.argv;
  if (first === undefined || first === '') {
    throw new HarnessError('INVALID_INPUT', `${cmd.name}: expected a command (argv), got an empty one`);
  }
  if (!cmd.shell) return { file: first, args: rest };
  if (rest.length > 0) {
    throw new HarnessError('INVALID_INPUT', `${cmd.name}: with shell: true, expected one script string`);
  }
  return { file: '/bin/sh', args: ['-c', first] };
}

export function hostCommands(opts: HostCommandsOptions): HostCommands {
  return {
    run(cmd, signal) {
      return runHostCommand(cmd, signal, opts);
    },
  };
}

async function runHostCommand(
  cmd: HostCommand,
  signal: AbortSignal,
  opts: HostCommandsOptions,
): Promise<HostCommandResult> {
  signal.throwIfAborted();
  const { file, args } = programOf(cmd);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, cmd.env ?? {});
  env[RUN_MARKER_ENV] = opts.runId;
  // A relative cwd is relative to the environment's folder, as a service's cwd is.
  const base = opts.defaultCwd();
  const cwd = cmd.cwd === undefined ? base : resolve(base ?? '.', cmd.cwd);
  const tail = new Tail(cmd.tailBytes ?? DEFAULT_TAIL_BYTES);
  const out: WriteStream | undefined = cmd.outputFile
    ? createWriteStream(cmd.outputFile, { flags: 'a' })
    : undefined;
  out?.on('error', () => undefined);
  const t0 = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      ...(cwd ? { cwd } : {}),
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    out?.end();
    throw new HarnessError('INVALID_INPUT', `${cmd.name}: could not start "${file}": ${String(err)}`, {
      cause: err,
    });
  }
  const pid = child.pid;
  if (pid !== undefined) recordSpawn(opts.runId, pid, cmd.name);
  const onData = (b: Buffer) => {
    tail.push(b);
    out?.write(b);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const streamsClosed = Promise.all(
    [child.stdout, child.stderr].map((s) => new Promise<void>((resolve) => s?.once('close', resolve))),
  );

  let timedOut = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const stopGroup = () => {
    if (pid === undefined || graceTimer) return;
    signalGroup(pid, 'SIGCONT');
    signalGroup(pid, 'SIGTERM');
    graceTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), cmd.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stopGroup();
  }, cmd.timeoutMs);
  signal.addEventListener('abort', stopGroup, { once: true });

  const ended = await new Promise<{ code: number | null; sig: NodeJS.Signals | null } | Error>((resolve) => {
    child.once('exit', (code, sig) => resolve({ code, sig }));
    child.once('error', (err) => resolve(err));
  });
  clearTimeout(timer);
  clearTimeout(graceTimer);
  signal.removeEventListener('abort', stopGroup);
  // What it left running in its group ends with it; what escaped the group (setsid) carries the
  // run marker and ends at the run's teardown.
  if (pid !== undefined) signalGroup(pid, 'SIGKILL');
  await within(streamsClosed, 1000, undefined);
  child.stdout?.destroy();
  child.stderr?.destroy();
  if (out) await new Promise<void>((resolve) => out.end(resolve));
  const durationMs = performance.now() - t0;

  if (ended instanceof Error) {
    const missing = (ended as NodeJS.ErrnoException).code === 'ENOENT';
    // spawn says ENOENT for a missing working directory too: name that, not the program.
    if (missing && cwd !== undefined && !existsSync(cwd)) {
      throw new HarnessError('INVALID_INPUT', `${cmd.name}: its cwd ${cwd} does not exist`, { cause: ended });
    }
    throw new HarnessError(
      missing ? 'BINARY_MISSING' : 'INVALID_INPUT',
      missing
        ? missingBinaryMessage(cmd.name, file)
        : `${cmd.name}: could not start "${file}": ${ended.message}`,
      { cause: ended },
    );
  }
  if (signal.aborted) throw signal.reason;
  return { exitCode: ended.code, signal: ended.sig, timedOut, durationMs, tail: tail.text() };
}
