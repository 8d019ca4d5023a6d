// The Compose command line: `docker compose` (v2) where the Docker CLI has the plugin, else the
// standalone `docker-compose` (v1, the only one in Debian 12). The report says which ran.

import { spawn } from 'node:child_process';
import { HarnessError } from '../../core/errors.js';

export interface ComposeCli {
  /** The command and its first arguments: ['docker', 'compose'] or ['docker-compose']. */
  readonly argv: readonly string[];
  readonly version: string;
  readonly major: 1 | 2;
}

export const COMPOSE_HINT =
  'install Compose: `apt-get install docker-compose` (v1) or the docker-compose-plugin (v2); `bash scripts/setup-containers.sh` does it';

export interface ComposeOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; never rejects for a non-zero exit (the caller decides), only for a missing command. */
function run(
  argv: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<ComposeOutput> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd as string, args, {
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(err);
      else resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** v2 when `docker compose` answers, else v1; a clear error when neither is installed. */
export async function detectComposeCli(): Promise<ComposeCli> {
  for (const [argv, major] of [
    [['docker', 'compose'], 2],
    [['docker-compose'], 1],
  ] as const) {
    try {
      const r = await run([...argv, 'version', '--short'], { timeoutMs: 15_000 });
      const version = r.stdout.trim();
      if (r.code === 0 && /^v?\d+\.\d+/.test(version))
        return { argv, version: version.replace(/^v/, ''), major };
    } catch {
      // not installed: try the next one
    }
  }
  throw new HarnessError(
    'CONTAINERS_UNAVAILABLE',
    `a compose environment needs Docker Compose, and neither \`docker compose\` nor \`docker-compose\` answers; ${COMPOSE_HINT}`,
  );
}

/** The harness's own variables win over ones that would point Compose at another project or file. */
export function composeEnv(vars: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...vars };
  for (const k of ['COMPOSE_FILE', 'COMPOSE_PROJECT_NAME', 'COMPOSE_PROFILES', 'COMPOSE_PATH_SEPARATOR'])
    delete env[k];
  return env;
}

/** `compose <global> <args>`; a non-zero exit is an error naming what ran and the end of its output. */
export async function compose(
  cli: ComposeCli,
  args: readonly string[],
  opts: {
    env: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs: number;
    signal?: AbortSignal | undefined;
    what: string;
  },
): Promise<ComposeOutput> {
  const argv = [...cli.argv, ...args];
  const t0 = performance.now();
  let r: ComposeOutput;
  try {
    r = await run(argv, opts);
  } catch (cause) {
    throw new HarnessError('CONTAINERS_UNAVAILABLE', `${argv[0]} could not be run; ${COMPOSE_HINT}`, {
      cause,
    });
  }
  if (r.code !== 0) {
    opts.signal?.throwIfAborted();
    const tail = r.stderr.trim().split('\n').slice(-12).join('\n');
    const timedOut = r.code === null && performance.now() - t0 >= opts.timeoutMs - 50;
    throw new HarnessError(
      'NOT_READY',
      `${opts.what}: \`${argv.join(' ')}\` ${timedOut ? `did not finish within ${opts.timeoutMs} ms` : `exited with ${r.code ?? 'a signal'}`}${tail ? `:\n${tail}` : ''}`,
    );
  }
  return r;
}
