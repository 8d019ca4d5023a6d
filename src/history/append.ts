// Appending one run to the history file. Two runs may end at the same moment (a suite in one
// terminal, a single run in another, CI shards on a shared disk): each line goes out in one write()
// on a descriptor opened with O_APPEND, which cannot interleave with another such write of at most
// PIPE_BUF bytes; a longer line is written under a lock file, so long lines never interleave either.

import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { HarnessError } from '../core/errors.js';
import { withLockFile } from './lock-file.js';
import type { HistoryRecord } from './record.js';

/** Linux's PIPE_BUF: the size up to which POSIX makes an O_APPEND write atomic. */
export const PIPE_BUF = 4096;

/** Appends `record` as one line; throws a HarnessError naming the file when it cannot. */
export function appendHistory(file: string, record: HistoryRecord): void {
  const line = `${JSON.stringify(record)}\n`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    const write = () => appendLine(file, line);
    if (Buffer.byteLength(line) + 1 <= PIPE_BUF) write();
    else withLockFile(`${file}.lock`, write);
  } catch (err) {
    if (err instanceof HarnessError) throw err;
    throw new HarnessError('IO_ERROR', `history ${file}: cannot append the run: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function appendLine(file: string, line: string): void {
  const fd = openSync(file, 'a+');
  try {
    // A run killed in the middle of its write (or a file edited by hand) may have left a last line
    // without its newline: start on a line of our own rather than corrupt this record too.
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    const bytes = Buffer.from(torn ? `\n${line}` : line);
    const n = writeSync(fd, bytes);
    if (n !== bytes.length) throw new Error(`wrote ${n} of ${bytes.length} bytes`);
  } finally {
    closeSync(fd);
  }
}
