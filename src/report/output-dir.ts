// The report directory is checked before a run starts: a run that cannot write its report must not
// bring anything up. Node's mkdir({ recursive: true }) loops forever on /proc (it sees ENOENT, goes
// up, finds the parent, tries again), so /proc and /sys are refused by name before any mkdir.
import { mkdirSync, realpathSync, rmdirSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errorMessage, HarnessError } from '../core/errors.js';

/** Virtual file systems: nothing written there is a file on disk. */
const VIRTUAL_ROOTS = ['/proc', '/sys'];

/** Reports, logs and the run record of one run fit in far less; below this a run would fail half-way. */
export const MIN_FREE_BYTES = 1024 * 1024;

const under = (path: string, root: string) => path === root || path.startsWith(`${root}/`);

function unusable(what: string, path: string, why: string, cause?: unknown): HarnessError {
  return new HarnessError('OUTPUT_DIR_UNUSABLE', `${what} ${path} ${why}`, cause ? { cause } : undefined);
}

/** The nearest existing ancestor of `abs` (itself when it exists) and the names below it. */
function existingAncestor(abs: string): { base: string; missing: string[] } {
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    try {
      statSync(p);
      return { base: p, missing };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // ENOTDIR: a file on the way; the walk up finds it and reports it as "not a directory".
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { base: p, missing };
    }
    const up = dirname(p);
    if (up === p) return { base: p, missing };
    missing.unshift(basename(p));
    p = up;
  }
}

/**
 * Makes sure `dir` is a directory this process can write reports into: it exists or is created,
 * is a directory, is not on a virtual file system, accepts a file, and has MIN_FREE_BYTES free.
 * Returns its absolute path. `what` names it in messages ("--out", "TMPDIR").
 */
export function prepareOutputDir(dir: string, what = 'report directory'): string {
  const abs = resolve(dir);
  const { base, missing } = existingAncestor(abs);
  let real: string;
  try {
    real = join(realpathSync(base), ...missing);
  } catch (err) {
    throw unusable(what, abs, `cannot be resolved: ${errorMessage(err)}`, err);
  }
  const root = VIRTUAL_ROOTS.find((r) => under(real, r) || under(abs, r));
  if (root) {
    throw unusable(
      what,
      abs,
      `is under ${root}, a virtual file system; expected a directory on disk (e.g. --out runs/my-run)`,
    );
  }
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(base);
  } catch (err) {
    throw unusable(what, abs, `cannot be read: ${errorMessage(err)}`, err);
  }
  if (!st.isDirectory()) {
    throw unusable(
      what,
      abs,
      missing.length === 0
        ? 'exists and is not a directory'
        : `cannot be created: ${base} is not a directory`,
    );
  }
  const created: string[] = [];
  const undo = () => {
    for (const d of created.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty or gone: leave it
      }
    }
  };
  let p = base;
  for (const name of missing) {
    p = join(p, name);
    try {
      mkdirSync(p);
      created.push(p);
    } catch (err) {
      undo();
      throw unusable(what, abs, `cannot be created (${p}): ${errorMessage(err)}`, err);
    }
  }
  const probe = join(abs, `.chaos-harness-write-test-${process.pid}`);
  let writeError: unknown;
  try {
    writeFileSync(probe, 'x');
  } catch (err) {
    writeError = err;
  }
  try {
    unlinkSync(probe);
  } catch {
    // never created
  }
  if (writeError !== undefined) {
    undo();
    const code = (writeError as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new HarnessError('DISK_FULL', `${what} ${abs} is full: ${errorMessage(writeError)}`, {
        cause: writeError,
      });
    }
    throw unusable(what, abs, `is not writable: ${errorMessage(writeError)}`, writeError);
  }
  let free: number | undefined;
  try {
    const fs = statfsSync(abs);
    free = fs.bavail * fs.bsize;
  } catch {
    // statfs is not available everywhere; the write test above is then the only check
  }
  if (free !== undefined && free < MIN_FREE_BYTES) {
    undo();
    throw new HarnessError(
      'DISK_FULL',
      `${what} ${abs} has ${free} bytes free; a run needs at least ${MIN_FREE_BYTES} bytes for its reports and records`,
    );
  }
  return abs;
}
