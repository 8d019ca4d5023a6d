// A SQLite database of a service, openable read-only on the harness's machine as a fresh connection
// would see it. Where the provider shares the file system that is the live file (SQLite's own locks
// make the read consistent); elsewhere it is a copy of the file and its WAL, which is consistent
// only if SQLite did not restart the WAL while it was taken: a checkpoint that ran during the copy
// leaves the copied file torn, which is harmless while the copied WAL still holds every frame it
// wrote back, and a restart (new salts in the 32-byte WAL header) means it may not. So the WAL
// header is read before and after the copy, and the copy taken again if it changed.
import type { DataFile, LocalDataFile } from '../core/data-files.js';
import { HarnessError } from '../core/errors.js';

const WAL_HEADER_BYTES = 32;
const ATTEMPTS = 5;

async function walHeader(wal: DataFile, signal?: AbortSignal): Promise<string> {
  try {
    return (await wal.read(0, WAL_HEADER_BYTES, signal)).toString('hex');
  } catch (err) {
    if ((err as HarnessError).code === 'FILE_NOT_FOUND' || (err as { code?: string }).code === 'ENOENT')
      return 'none';
    throw err;
  }
}

export async function openSqliteLocal(file: DataFile, signal?: AbortSignal): Promise<LocalDataFile> {
  const wal = file.sidecar('-wal');
  for (let attempt = 1; ; attempt++) {
    const before = await walHeader(wal, signal);
    const local = await file.openLocal({ with: ['-wal'] }, signal);
    if (!local.copied) return local;
    const after = await walHeader(wal, signal);
    if (before === after) return local;
    await local[Symbol.asyncDispose]();
    if (attempt === ATTEMPTS)
      throw new HarnessError(
        'IO_ERROR',
        `${file.name}: no consistent copy of ${file.location} in ${ATTEMPTS} attempts: its WAL was restarted during each`,
      );
  }
}
