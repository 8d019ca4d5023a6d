// The two ways the containers provider applies FileEdits: to the bytes of a file it fetched from a
// stopped container, or as one shell script run in a running one (coreutils' dd and truncate, in
// place), with the written bytes concatenated in a patch file the script reads from.
import type { FileEdit } from '../../core/data-files.js';

/** Exit code of the provider's scripts for "the file does not exist". */
export const MISSING_EXIT = 44;

/** The file's bytes after the edits (a write past the end extends it with zeros, as a pwrite would). */
export function applyEdits(bytes: Uint8Array, edits: readonly FileEdit[]): Buffer {
  let data = Buffer.from(bytes);
  const grow = (size: number) => {
    if (size > data.length) data = Buffer.concat([data, Buffer.alloc(size - data.length)]);
  };
  for (const e of edits) {
    if ('truncateTo' in e) {
      grow(e.truncateTo);
      data = data.subarray(0, e.truncateTo);
    } else {
      grow(e.at + e.write.length);
      data.set(e.write, e.at);
    }
  }
  return data;
}

/**
 * A POSIX sh script applying the edits to "$1", reading written bytes from the patch file "$2" (in
 * the order of the edits), and removing "$2" however it ends. Exits MISSING_EXIT when "$1" does not
 * exist (dd would create it).
 */
export function editScript(edits: readonly FileEdit[]): { script: string; patch: Buffer } {
  const lines = [`[ -f "$1" ] || exit ${MISSING_EXIT}`];
  const parts: Uint8Array[] = [];
  let skip = 0;
  for (const e of edits) {
    if ('truncateTo' in e) lines.push(`truncate -s ${e.truncateTo} "$1"`);
    else if (e.write.length > 0) {
      lines.push(
        `dd if="$2" of="$1" bs=${e.write.length} count=1 skip=${skip} seek=${e.at} iflag=skip_bytes oflag=seek_bytes conv=notrunc status=none`,
      );
      parts.push(e.write);
      skip += e.write.length;
    }
  }
  return { script: `trap 'rm -f "$2"' EXIT; set -e; ${lines.join('; ')}`, patch: Buffer.concat(parts) };
}
