// A service's data files (a database, a config) as injectors, probes and actions reach them: by key,
// never by path. Where a file is, and how to get at it (the harness's own file system, or through a
// container engine), is the provider's business; consumers only see these operations.

import { HarnessError } from './errors.js';

/** One change applied in place: bytes written at an offset, or the file cut to a size. */
export type FileEdit = { at: number; write: Uint8Array } | { truncateTo: number };

export interface OpenLocalOptions {
  /** Sidecar suffixes to copy with the file (a copy only; the live file has its own beside it). */
  with?: readonly string[];
  /**
   * A copy only: a sidecar rewritten from its start while it was taken (SQLite restarting its WAL:
   * new salts in its 32-byte header) may no longer hold what the copied file needs, so the copy is
   * taken again, up to OPEN_LOCAL_ATTEMPTS times, while the first `stableHeaderBytes` bytes of a
   * sidecar differ before and after it. Copies of a service that writes by appending and
   * restarting, as SQLite's WAL does, are then what a crash at one moment would have left.
   */
  stableHeaderBytes?: number;
}

export const OPEN_LOCAL_ATTEMPTS = 5;

/** A path on the harness's machine that can be opened read-only; disposing it releases it. */
export interface LocalDataFile extends AsyncDisposable {
  readonly path: string;
  /**
   * false: the service's file itself (the provider shares the harness's file system), so a reader
   * that locks (SQLite) is consistent with the service. true: a copy of the file and its sidecars,
   * removed at disposal.
   */
  readonly copied: boolean;
}

/** A data file of a running (or stopped) service. Every operation acts on the file as it is now. */
export interface DataFile {
  /** `service:key` (with a sidecar's suffix), for messages. */
  readonly name: string;
  /** Where the provider keeps it, in its own terms, for reports ("/tmp/w/trades.db", "container 3f2a1b9c04d1:/data/trades.db"). */
  readonly location: string;
  /** The file whose name is this one's plus `suffix`, in the same directory (SQLite's `-wal`, `-shm`). */
  sidecar(suffix: string): DataFile;
  /** Its size, or undefined when it does not exist. */
  stat(signal?: AbortSignal): Promise<{ size: number } | undefined>;
  /** Up to `length` bytes from `offset` (fewer at the end of the file). Fails when it does not exist. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /**
   * The edits in order, in place (the same file, so a service that holds it open sees them) and in
   * one step, so that a running service has as little chance as the provider allows to act between
   * two of them. Fails when it does not exist.
   */
  edit(edits: readonly FileEdit[], signal?: AbortSignal): Promise<void>;
  /** Deletes it; false when it did not exist. */
  remove(signal?: AbortSignal): Promise<boolean>;
  /**
   * New content under its name at once: written beside it, then renamed over it, so no reader ever
   * sees it half-written. Keeps the owner and mode of the file it replaces.
   */
  replace(content: Uint8Array | { localFile: string }, signal?: AbortSignal): Promise<void>;
  /**
   * The file on the harness's machine, to open read-only (never write to it), with the sidecars
   * named in `with` beside it (under the same relative names) where it is a copy. A file that does
   * not exist gives a path where nothing exists.
   */
  openLocal(opts?: OpenLocalOptions, signal?: AbortSignal): Promise<LocalDataFile>;
}

/** The data files a service declares, by key. */
export interface DataFiles {
  /** Declared keys, sorted. */
  keys(): readonly string[];
  /** The file under `key`; throws NO_SUCH_DATA_FILE naming the service and the keys it has. */
  get(key: string): DataFile;
}

/** The error for a key a service does not declare (shared by every provider). */
export function unknownDataFile(service: string, key: string, keys: readonly string[]): HarnessError {
  const has = keys.length ? `it has ${keys.map((k) => `"${k}"`).join(', ')}` : 'it declares no data files';
  return new HarnessError('NO_SUCH_DATA_FILE', `service ${service} has no data file "${key}": ${has}`);
}

/** A service's data files; a service that declares none (`files` absent) has no keys. */
export function dataFilesOf(service: { name: string; files?: DataFiles | undefined }): DataFiles {
  return (
    service.files ?? {
      keys: () => [],
      get: (key) => {
        throw unknownDataFile(service.name, key, []);
      },
    }
  );
}

/** Sidecar suffixes must stay in the file's directory: no separator, not empty. */
export function checkSuffix(file: string, suffix: string): void {
  if (suffix === '' || suffix.includes('/') || suffix.includes('\0'))
    throw new HarnessError(
      'INTERNAL',
      `${file}: sidecar suffix ${JSON.stringify(suffix)} must be non-empty, without "/"`,
    );
}
