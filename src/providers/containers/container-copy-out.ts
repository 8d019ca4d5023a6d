// Copies of a container's files onto the harness's machine (DataFile.openLocal), as tar entries.
import { posix } from 'node:path';
import type Docker from 'dockerode';
import { OPEN_LOCAL_ATTEMPTS } from '../../core/data-files.js';
import { archiveOf, execIn } from './container-fs.js';
import { copyScript, headersStable } from './container-scripts.js';
import { readTar, type TarEntry } from './tar.js';

/** Nothing writes to a stopped container's files: one archive per file, those that exist. */
export async function copyStopped(
  container: Docker.Container,
  dir: string,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const n of names) {
    const tar = await archiveOf(container, posix.join(dir, n), signal);
    if (tar) entries.push(...readTar(tar));
  }
  return entries;
}

/**
 * One command in the running container per attempt (copyScript): the sidecars' headers, one tar
 * run over the files of `dir` named (the main file first), the headers again; taken again while a
 * header changed, up to OPEN_LOCAL_ATTEMPTS times.
 */
export async function copyRunning(
  container: Docker.Container,
  dir: string,
  names: readonly string[],
  sidecars: readonly string[],
  headerBytes: number,
  signal?: AbortSignal,
): Promise<TarEntry[]> {
  const script = copyScript(sidecars, headerBytes);
  for (let attempt = 1; ; attempt++) {
    const r = await execIn(container, ['sh', '-c', script, 'sh', dir, ...names], signal);
    const err = r.stderr.toString();
    if (r.exitCode > 1) throw new Error(`exit ${r.exitCode}: ${err.slice(0, 300)}`);
    const stable = headersStable(err);
    if (stable === undefined) throw new Error(`no headers in the output: ${err.slice(0, 300)}`);
    if (stable) return readTar(r.stdout);
    if (attempt === OPEN_LOCAL_ATTEMPTS)
      throw new Error(`a sidecar was rewritten from its start during each of ${OPEN_LOCAL_ATTEMPTS} copies`);
  }
}
