// Report writers by name: adding a format is one file and one line here.

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, ReportWriteError } from '../core/errors.js';
import type { RunReport } from '../core/report-model.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export interface ReportWriter {
  /** File name inside the run directory. */
  file: string;
  render(report: RunReport): string;
}

export const builtinReportWriters = {
  json: { file: 'report.json', render: renderJson },
  markdown: { file: 'report.md', render: renderMarkdown },
  junit: { file: 'junit.xml', render: renderJunit },
} satisfies Record<string, ReportWriter>;

export type BuiltinReportWriterName = keyof typeof builtinReportWriters;

/**
 * Writes every format into `dir` (created if needed) and returns the paths, in map order. A file that
 * cannot be written (a full disk) is removed rather than left truncated, the others are still
 * written, smallest first so that as many as the space allows get through, and then a
 * ReportWriteError names every path that failed and every one written.
 */
export async function writeReports(
  report: RunReport,
  dir: string,
  writers: Record<string, ReportWriter> = builtinReportWriters,
): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new ReportWriteError([], [{ path: dir, message: errorMessage(err) }], err);
  }
  // Render everything first: a formatter bug must not leave half the files behind.
  const files = Object.values(writers).map((w) => ({ path: join(dir, w.file), text: w.render(report) }));
  const failed: { path: string; message: string }[] = [];
  let cause: unknown;
  for (const f of [...files].sort((a, b) => a.text.length - b.text.length)) {
    try {
      await writeFile(f.path, f.text, 'utf8');
    } catch (err) {
      cause ??= err;
      failed.push({ path: f.path, message: errorMessage(err) });
      await rm(f.path, { force: true }).catch(() => undefined);
    }
  }
  const failedPaths = new Set(failed.map((f) => f.path));
  const written = files.map((f) => f.path).filter((p) => !failedPaths.has(p));
  if (failed.length > 0) throw new ReportWriteError(written, failed, cause);
  return written;
}

export {
  createProgressReporter,
  type ProgressReporter,
  type ProgressStatus,
  renderSummary,
} from './console.js';
export { formatDuration } from './format.js';
export { renderJson } from './json.js';
export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';
