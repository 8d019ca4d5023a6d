// Report writers by name: adding a format is one file and one line here.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Writes every format into `dir` (created if needed) and returns the paths, in map order. */
export async function writeReports(
  report: RunReport,
  dir: string,
  writers: Record<string, ReportWriter> = builtinReportWriters,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  // Render everything first: a formatter bug must not leave half the files behind.
  const files = Object.values(writers).map((w) => ({ path: join(dir, w.file), text: w.render(report) }));
  await Promise.all(files.map((f) => writeFile(f.path, f.text, 'utf8')));
  return files.map((f) => f.path);
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
