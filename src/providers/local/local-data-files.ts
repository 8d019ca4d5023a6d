// Data files of a local process: files on the harness's own file system. Edits are synchronous
// system calls one after the other (nothing of the harness runs between them), replacement is a
// write beside the file and a rename, and a local view is the file itself.

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  checkSuffix,
  type DataFile,
  type DataFiles,
  type FileEdit,
  type LocalDataFile,
  unknownDataFile,
} from '../../core/data-files.js';
import { HarnessError } from '../../core/errors.js';

function missing(err: unknown): boolean {
  return (err as { code?: string }).code === 'ENOENT';
}

function ioError(file: string, what: string, err: unknown): HarnessError {
  if (missing(err))
    return new HarnessError('FILE_NOT_FOUND', `${file}: ${what}: it does not exist`, { cause: err });
  const e = err as { code?: string; message?: string };
  return new HarnessError(
    'IO_ERROR',
    `${file}: ${what} failed: ${e.code ?? ''} ${e.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}

class LocalDataFileImpl implements DataFile {
  readonly name: string;
  readonly location: string;

  constructor(name: string, path: string) {
    this.name = name;
    this.location = path;
  }

  sidecar(suffix: string): DataFile {
    checkSuffix(this.name, suffix);
    return new LocalDataFileImpl(this.name + suffix, this.location + suffix);
  }

  async stat(): Promise<{ size: number } | undefined> {
    try {
      return { size: statSync(this.location).size };
    } catch (err) {
      if (missing(err)) return undefined;
      throw ioError(this.name, `stat of ${this.location}`, err);
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    let fd: number;
    try {
      fd = openSync(this.location, 'r');
    } catch (err) {
      throw ioError(this.name, `opening ${this.location} to read`, err);
    }
    try {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  async edit(edits: readonly FileEdit[]): Promise<void> {
    let fd: number;
    try {
      fd = openSync(this.location, 'r+');
    } catch (err) {
      throw ioError(this.name, `opening ${this.location} to edit`, err);
    }
    try {
      for (const e of edits) {
        if ('truncateTo' in e) ftruncateSync(fd, e.truncateTo);
        else writeSync(fd, e.write, 0, e.write.length, e.at);
      }
    } catch (err) {
      throw ioError(this.name, `editing ${this.location}`, err);
    } finally {
      closeSync(fd);
    }
  }

  async remove(): Promise<boolean> {
    try {
      unlinkSync(this.location);
      return true;
    } catch (err) {
      if (missing(err)) return false;
      throw ioError(this.name, `removing ${this.location}`, err);
    }
  }

  async replace(content: Uint8Array | { localFile: string }): Promise<void> {
    // Same directory, so the rename is atomic; a name of its own, so two replacements never collide.
    const temp = join(
      dirname(this.location),
      `.${basename(this.location)}.replace-${randomBytes(4).toString('hex')}`,
    );
    try {
      if (content instanceof Uint8Array) writeFileSync(temp, content);
      else copyFileSync(content.localFile, temp);
      try {
        const old = statSync(this.location);
        chownSync(temp, old.uid, old.gid);
        chmodSync(temp, old.mode & 0o7777);
      } catch (err) {
        if (!missing(err)) throw err;
      }
      renameSync(temp, this.location);
    } catch (err) {
      rmSync(temp, { force: true });
      throw ioError(this.name, `replacing ${this.location}`, err);
    }
  }

  async openLocal(): Promise<LocalDataFile> {
    return { path: this.location, copied: false, async [Symbol.asyncDispose]() {} };
  }
}

/** `paths`: key → absolute path of the file on this machine. */
export function localDataFiles(service: string, paths: Readonly<Record<string, string>>): DataFiles {
  const keys = Object.keys(paths).sort();
  return {
    keys: () => keys,
    get(key) {
      const path = paths[key];
      if (path === undefined) throw unknownDataFile(service, key, keys);
      return new LocalDataFileImpl(`${service}:${key}`, path);
    },
  };
}
