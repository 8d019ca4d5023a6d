// Files inside a container, through the engine only (no host path, no bind mount needed): the
// archive API (works on running and stopped containers, for any path), commands run in the
// container (running), and a short-lived helper container that shares the volumes of a stopped
// one (what the archive API cannot do: delete a file).

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface CommandResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

async function collect(stream: Readable, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const onAbort = () => stream.destroy(new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const c of stream) chunks.push(c as Buffer);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  signal?.throwIfAborted();
  return Buffer.concat(chunks);
}

/** Splits the engine's multiplexed stdout/stderr framing (8-byte headers) of a non-TTY stream. */
export function demux(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const kind = buf[i];
    const len = buf.readUInt32BE(i + 4);
    const part = buf.subarray(i + 8, i + 8 + len);
    (kind === 2 ? err : out).push(part);
    i += 8 + len;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Runs `argv` in a running container (as root, so it may touch the service's files), binary-safe. */
export async function execIn(
  container: Docker.Container,
  argv: readonly string[],
  signal?: AbortSignal,
): Promise<CommandResult> {
  const exec = await container.exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, User: '0:0' });
  const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
  const raw = await collect(stream, signal);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, ...demux(raw) };
}

/** The engine's stat of a path in the container, or undefined when nothing is there. */
export async function statIn(
  container: Docker.Container,
  path: string,
  signal?: AbortSignal,
): Promise<{ size: number; mode: number } | undefined> {
  try {
    const res = (await container.infoArchive({ path, ...(signal ? { abortSignal: signal } : {}) })) as
      | IncomingMessage
      | undefined;
    const header = res?.headers['x-docker-container-path-stat'];
    res?.resume();
    if (typeof header !== 'string') throw new Error(`no path stat for ${path} in the engine's answer`);
    const st = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as { size: number; mode: number };
    return { size: st.size, mode: st.mode };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** The path as a tar archive (its last component at the top), or undefined when nothing is there. */
export async function archiveOf(
  container: Docker.Container,
  path: string,
  signal?: AbortSignal,
): Promise<Buffer | undefined> {
  try {
    const stream = (await container.getArchive({
      path,
      ...(signal ? { abortSignal: signal } : {}),
    })) as unknown as Readable;
    return await collect(stream, signal);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/**
 * The start of the path's archive, enough for its first entry's header (the owner and mode of a
 * file) without fetching the whole file; undefined when nothing is there.
 */
export async function archiveHeadOf(
  container: Docker.Container,
  path: string,
  signal?: AbortSignal,
): Promise<Buffer | undefined> {
  let stream: Readable;
  try {
    stream = (await container.getArchive({
      path,
      ...(signal ? { abortSignal: signal } : {}),
    })) as unknown as Readable;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // A pax record block and the entry's own header fit in 3 blocks of 512 bytes.
  for await (const c of stream) {
    chunks.push(c as Buffer);
    size += (c as Buffer).length;
    if (size >= 1536) break;
  }
  stream.destroy();
  return Buffer.concat(chunks);
}

/** Extracts a tar archive into `dir` of the container (running or stopped). */
export async function extractInto(
  container: Docker.Container,
  dir: string,
  tar: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  await container.putArchive(tar, { path: dir, ...(signal ? { abortSignal: signal } : {}) });
}

/**
 * Runs `argv` in a helper container made from the same image that mounts the volumes of `target`
 * (which may be stopped), with no network, carrying `labels` (so a run's sweep removes it too);
 * removed afterwards. Sees only what is on a volume or mount of `target`.
 */
export async function runBeside(
  docker: Docker,
  target: { id: string; image: string; labels: Readonly<Record<string, string>> },
  argv: readonly string[],
  signal?: AbortSignal,
): Promise<CommandResult> {
  const helper = await docker.createContainer({
    Image: target.image,
    Entrypoint: [argv[0] as string],
    Cmd: argv.slice(1),
    User: '0:0',
    Labels: { ...target.labels },
    HostConfig: { VolumesFrom: [target.id], NetworkMode: 'none', RestartPolicy: { Name: 'no' } },
  });
  try {
    const waited = helper.wait({ condition: 'next-exit' });
    await helper.start();
    const onAbort = () => void helper.kill().catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    const r = (await waited.finally(() => signal?.removeEventListener('abort', onAbort))) as {
      StatusCode: number;
    };
    signal?.throwIfAborted();
    const logs = (await helper.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: r.StatusCode, ...demux(logs) };
  } finally {
    await helper.remove({ force: true, v: false }).catch(() => {});
  }
}

/** Whether `path` lies on a volume or mount of the container (what a helper beside it can reach). */
export async function onMount(container: Docker.Container, path: string): Promise<boolean> {
  const mounts = (await container.inspect()).Mounts ?? [];
  return mounts.some(
    (m) => path === m.Destination || path.startsWith(`${m.Destination.replace(/\/$/, '')}/`),
  );
}
