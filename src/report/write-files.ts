// Writing report files: render everything first, then write smallest first; a file that cannot be
// written is removed rather than left truncated, and one ReportWriteError names them all.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, ReportWriteError } from '../core/errors.js';
import type { ReportFile } from './reporter.js';

/**
 * Writes `files` into `dir` (created if needed) and returns their paths, in the given order. The
 * others are still written when one fails, smallest first so that as many as the space allows get
 * through; then a ReportWriteError names every path that failed and every one written.
 */
export async function writeFiles(dir: string, files: readonly ReportFile[]): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new ReportWriteError([], [{ path: dir, message: errorMessage(err) }], err);
  }
  const paths = files.map((f) => ({ path: join(dir, f.file), text: f.text }));
  const failed: { path: string; message: string }[] = [];
  let cause: unknown;
  for (const f of [...paths].sort((a, b) => a.text.length - b.text.length)) {
    try {
      await writeFile(f.path, f.text, 'utf8');
    } catch (err) {
      cause ??= err;
      failed.push({ path: f.path, message: errorMessage(err) });
      await rm(f.path, { force: true }).catch(() => undefined);
    }
  }
  const failedPaths = new Set(failed.map((f) => f.path));
  const written = paths.map((f) => f.path).filter((p) => !failedPaths.has(p));
  if (failed.length > 0) throw new ReportWriteError(written, failed, cause);
  return written;
}
