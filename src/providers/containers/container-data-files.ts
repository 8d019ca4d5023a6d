// Data files of a service in a container, reached through the engine: the file may live in the
// container's own file system or on a volume, with no bind mount and no host path.
//
// Running container: commands in it (coreutils and tar, which every image of ours has), so edits
// act in place on the file the service holds open. Stopped container: the archive API (read,
// replace, and an edit as read-modify-replace: nothing holds the file open), and a helper container
// sharing its volumes to delete a file, which the archive API cannot do.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import {
  checkSuffix,
  type DataFile,
  type DataFiles,
  type FileEdit,
  type LocalDataFile,
  type OpenLocalOptions,
  unknownDataFile,
} from '../../core/data-files.js';
import { HarnessError } from '../../core/errors.js';
import { copyRunning, copyStopped } from './container-copy-out.js';
import {
  archiveHeadOf,
  archiveOf,
  type CommandResult,
  execIn,
  extractInto,
  onMount,
  runBeside,
  statIn,
} from './container-fs.js';
import { applyEdits, editScript, MISSING_EXIT, READ_SCRIPT, REMOVE_SCRIPT } from './container-scripts.js';
import { LABELS } from './engine.js';
import type { ManagedContainer } from './managed-container.js';
import { readTar, tarEntries, tarOneFile } from './tar.js';

const PATCH_DIR = '/tmp';

class ContainerDataFile implements DataFile {
  readonly name: string;
  readonly location: string;
  readonly #path: string;
  readonly #c: ManagedContainer;

  constructor(name: string, path: string, container: ManagedContainer) {
    this.name = name;
    this.#path = path;
    this.#c = container;
    this.location = `${container.spec.containerName}:${path}`;
  }

  sidecar(suffix: string): DataFile {
    checkSuffix(this.name, suffix);
    return new ContainerDataFile(this.name + suffix, this.#path + suffix, this.#c);
  }

  #engine(): { docker: Docker; container: Docker.Container } {
    const e = this.#c.engine();
    if (!e)
      throw new HarnessError(
        'IO_ERROR',
        `${this.name}: the container of service ${this.#c.spec.name} was never started`,
      );
    return e;
  }

  #fail(what: string, detail: string | Error): HarnessError {
    const why = detail instanceof Error ? detail.message : detail.trim();
    return new HarnessError('IO_ERROR', `${this.name} (${this.location}): ${what} failed: ${why}`, {
      ...(detail instanceof Error ? { cause: detail } : {}),
    });
  }

  #notFound(what: string): HarnessError {
    return new HarnessError(
      'FILE_NOT_FOUND',
      `${this.name}: cannot ${what}: ${this.location} does not exist`,
    );
  }

  async #sh(
    what: string,
    script: string,
    args: readonly string[],
    signal?: AbortSignal,
  ): Promise<CommandResult> {
    const r = await execIn(this.#engine().container, ['sh', '-c', script, 'sh', ...args], signal).catch(
      (e: Error) => Promise.reject(this.#fail(what, e)),
    );
    if (r.exitCode === MISSING_EXIT) throw this.#notFound(what);
    if (r.exitCode !== 0)
      throw this.#fail(what, `exit ${r.exitCode}: ${r.stderr.toString('utf8').slice(0, 300)}`);
    return r;
  }

  /** The file's archive entry (stopped container), or undefined when it does not exist. */
  async #entry(signal?: AbortSignal) {
    const tar = await archiveOf(this.#engine().container, this.#path, signal).catch((e: Error) =>
      Promise.reject(this.#fail('reading through the archive API', e)),
    );
    if (!tar) return undefined;
    const e = readTar(tar)[0];
    if (e?.type !== '0') throw this.#fail('reading', 'not a regular file');
    return e;
  }

  async #put(
    dir: string,
    base: string,
    data: Uint8Array,
    meta: { mode: number; uid: number; gid: number },
    signal?: AbortSignal,
  ) {
    await extractInto(this.#engine().container, dir, tarOneFile(base, data, meta), signal).catch((e: Error) =>
      Promise.reject(this.#fail(`writing into ${dir}`, e)),
    );
  }

  async stat(signal?: AbortSignal): Promise<{ size: number } | undefined> {
    const st = await statIn(this.#engine().container, this.#path, signal).catch((e: Error) =>
      Promise.reject(this.#fail('stat', e)),
    );
    return st && { size: st.size };
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (!this.#c.running) {
      const e = await this.#entry(signal);
      if (!e) throw this.#notFound('read');
      return Buffer.from(e.data.subarray(offset, offset + length));
    }
    const r = await this.#sh('read', READ_SCRIPT, [this.#path, String(offset), String(length)], signal);
    return r.stdout;
  }

  async edit(edits: readonly FileEdit[], signal?: AbortSignal): Promise<void> {
    if (!this.#c.running) {
      const e = await this.#entry(signal);
      if (!e) throw this.#notFound('edit');
      const data = applyEdits(e.data, edits);
      await this.#put(posix.dirname(this.#path), posix.basename(this.#path), data, e, signal);
      return;
    }
    // One script applies every edit, so they land within a few milliseconds of each other.
    const { script, patch } = editScript(edits);
    const patchName = `chaos-harness-patch-${randomBytes(6).toString('hex')}`;
    if (patch.length) await this.#put(PATCH_DIR, patchName, patch, { mode: 0o600, uid: 0, gid: 0 }, signal);
    await this.#sh('edit', script, [this.#path, `${PATCH_DIR}/${patchName}`], signal);
  }

  async remove(signal?: AbortSignal): Promise<boolean> {
    if (this.#c.running) {
      try {
        await this.#sh('remove', REMOVE_SCRIPT, [this.#path], signal);
        return true;
      } catch (err) {
        if ((err as HarnessError).code === 'FILE_NOT_FOUND') return false;
        throw err;
      }
    }
    if (!(await this.stat(signal))) return false;
    const { docker, container } = this.#engine();
    if (!(await onMount(container, this.#path)))
      throw this.#fail(
        'remove',
        'the container is stopped and the file is in its own file system, which only a running container can delete from (the engine has no delete); put data files on a volume',
      );
    const r = await runBeside(
      docker,
      {
        id: container.id,
        image: this.#c.spec.image,
        // The run's labels (the sweep removes a leftover helper), under a name of its own.
        labels: { ...this.#c.spec.labels, [LABELS.service]: `${this.#c.spec.name}-files-helper` },
      },
      ['sh', '-c', REMOVE_SCRIPT, 'sh', this.#path],
      signal,
    ).catch((e: Error) => Promise.reject(this.#fail('remove (helper container)', e)));
    if (r.exitCode === MISSING_EXIT) return false;
    if (r.exitCode !== 0)
      throw this.#fail('remove (helper container)', `exit ${r.exitCode}: ${r.stderr.toString('utf8')}`);
    return true;
  }

  async replace(content: Uint8Array | { localFile: string }, signal?: AbortSignal): Promise<void> {
    const data = content instanceof Uint8Array ? content : readFileSync(content.localFile);
    const dir = posix.dirname(this.#path);
    const base = posix.basename(this.#path);
    if (!this.#c.running) {
      // Stopped: nothing reads the file, so extracting over it is as good as a rename.
      const head = await archiveHeadOf(this.#engine().container, this.#path, signal).catch((e: Error) =>
        Promise.reject(this.#fail('replace (owner of the old file)', e)),
      );
      const old = head ? tarEntries(head).next().value : undefined;
      await this.#put(dir, base, data, old ?? { mode: 0o644, uid: 0, gid: 0 }, signal);
      return;
    }
    const owner = await this.#sh(
      'replace (owner of the old file)',
      `[ -e "$1" ] || exit 0; stat -c '%u %g %a' "$1"`,
      [this.#path],
      signal,
    );
    // A new file gets root's 0644, as a file the service's data directory would hold.
    const [uid, gid, mode] = /^(\d+) (\d+) ([0-7]+)$/.exec(owner.stdout.toString().trim())?.slice(1) ?? [];
    const meta =
      uid && gid && mode
        ? { uid: Number(uid), gid: Number(gid), mode: Number.parseInt(mode, 8) }
        : { uid: 0, gid: 0, mode: 0o644 };
    const temp = `.${base}.replace-${randomBytes(4).toString('hex')}`;
    await this.#put(dir, temp, data, meta, signal);
    await this.#sh(
      'replace (rename)',
      'mv -f -- "$1" "$2" || { rm -f -- "$1"; exit 1; }',
      [posix.join(dir, temp), this.#path],
      signal,
    );
  }

  async openLocal(opts: OpenLocalOptions = {}, signal?: AbortSignal): Promise<LocalDataFile> {
    const base = posix.basename(this.#path);
    const sidecars = (opts.with ?? []).map((s) => {
      checkSuffix(this.name, s);
      return base + s;
    });
    const names = [base, ...sidecars];
    const local = mkdtempSync(join(tmpdir(), 'chaos-harness-copy-'));
    const release = async () => rmSync(local, { recursive: true, force: true });
    try {
      const { container } = this.#engine();
      const dir = posix.dirname(this.#path);
      const entries = await (this.#c.running
        ? copyRunning(container, dir, names, sidecars, opts.stableHeaderBytes ?? 0, signal)
        : copyStopped(container, dir, names, signal)
      ).catch((e: Error) => Promise.reject(this.#fail('copying out', e)));
      for (const e of entries)
        if (e.type === '0' && names.includes(e.name)) writeFileSync(join(local, e.name), e.data);
    } catch (err) {
      await release();
      throw err;
    }
    return { path: join(local, base), copied: true, [Symbol.asyncDispose]: release };
  }
}

/** `paths`: key → absolute path inside the container (its own file system or a volume). */
export function containerDataFiles(
  service: string,
  container: ManagedContainer,
  paths: Readonly<Record<string, string>>,
): DataFiles {
  const keys = Object.keys(paths).sort();
  return {
    keys: () => keys,
    get(key) {
      const path = paths[key];
      if (path === undefined) throw unknownDataFile(service, key, keys);
      return new ContainerDataFile(`${service}:${key}`, path, container);
    },
  };
}
