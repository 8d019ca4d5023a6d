// What the containers provider runs in a container to act on a data file: POSIX sh with coreutils
// and GNU tar, which every image of ours has. Also how it applies FileEdits to the bytes of a file
// it fetched from a stopped container, where it runs nothing.
import type { FileEdit } from '../../core/data-files.js';

/** Exit code of the provider's scripts for "the file does not exist". */
export const MISSING_EXIT = 44;

/** "$3" bytes of "$1" from offset "$2" on stdout. */
export const READ_SCRIPT = `[ -e "$1" ] || exit ${MISSING_EXIT}; exec dd if="$1" bs=65536 skip="$2" count="$3" iflag=skip_bytes,count_bytes status=none`;

/** Deletes "$1"; MISSING_EXIT when there was none. */
export const REMOVE_SCRIPT = `[ -e "$1" ] || exit ${MISSING_EXIT}; rm -f -- "$1"`;

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

/** Copies "$2"... (relative to "$1") as a tar stream on stdout; `sidecars` are the names whose
 * first `headerBytes` bytes are printed (hex) on stderr before and after, as `@@heads <before> <after>`.
 */
export function copyScript(sidecars: readonly string[], headerBytes: number): string {
  const heads =
    headerBytes > 0
      ? `h() { for f in "$@"; do if [ -e "$f" ]; then dd if="$f" bs=${headerBytes} count=1 status=none | od -An -v -tx1 | tr -d ' \\n'; else printf none; fi; printf /; done; }; `
      : 'h() { :; }; ';
  const list = sidecars.map((n) => `'${n.replaceAll("'", "'\\''")}'`).join(' ');
  // Exit 1 is GNU tar's "a file changed as we read it", expected of a live file.
  return `${heads}cd "$1" && shift && b=$(h ${list}) && { tar -cf - --ignore-failed-read -- "$@"; rc=$?; } && a=$(h ${list}) && printf '\\n@@heads %s %s\\n' "$b" "$a" >&2 && exit $rc`;
}

/** The headers copyScript printed: whether they were the same before and after, or undefined if absent. */
export function headersStable(stderr: string): boolean | undefined {
  const m = /@@heads (\S*) (\S*)/.exec(stderr);
  return m ? m[1] === m[2] : undefined;
}
