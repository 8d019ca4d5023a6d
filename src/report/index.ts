// Reporters and report writers by name: adding a format is one file and one line in each map.

import type { RunReport } from '../core/report-model.js';
import { renderSuiteJunitOf, renderSummaryJson, renderSummaryMarkdown } from '../suite/summary.js';
import { type ConsoleReporterOptions, consoleReporter } from './console-reporter.js';
import { drillReporter } from './drill-reporter.js';
import { fileReporter, type ReportWriter } from './file-reporter.js';
import { renderHtml } from './html.js';
import { htmlReporter } from './html-reporter.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Reporter } from './reporter.js';
import { writeFiles } from './write-files.js';

export const builtinReportWriters = {
  json: { file: 'report.json', render: renderJson },
  markdown: { file: 'report.md', render: renderMarkdown },
  junit: { file: 'junit.xml', render: renderJunit },
  html: { file: 'report.html', render: renderHtml },
} satisfies Record<string, ReportWriter>;

export type BuiltinReportWriterName = keyof typeof builtinReportWriters;

/** What a built-in reporter may need from the invocation that makes it. */
export type ReporterOptions = ConsoleReporterOptions;

/** Each call makes a fresh reporter (the file reporters keep nothing, the console its progress). */
export const builtinReporters = {
  console: (o: ReporterOptions) => consoleReporter(o),
  json: () => fileReporter(builtinReportWriters.json, { file: 'summary.json', render: renderSummaryJson }),
  markdown: () =>
    fileReporter(builtinReportWriters.markdown, { file: 'summary.md', render: renderSummaryMarkdown }),
  junit: () =>
    fileReporter(builtinReportWriters.junit, {
      file: 'junit.xml',
      render: (_s, _d, reports) => renderSuiteJunitOf(reports),
    }),
  html: () => htmlReporter(),
  drill: () => drillReporter(),
} satisfies Record<string, (o: ReporterOptions) => Reporter>;

export type BuiltinReporterName = keyof typeof builtinReporters;

export const BUILTIN_REPORTER_NAMES = Object.keys(builtinReporters) as BuiltinReporterName[];

/** Without --reporter: the console, and report.json, report.md, junit.xml and report.html in the run directory. */
export const DEFAULT_REPORTERS: readonly BuiltinReporterName[] = [
  'console',
  'json',
  'markdown',
  'junit',
  'html',
];

/**
 * Writes every format into `dir` (created if needed) and returns the paths, in map order, with
 * writeFiles' rules (rendered first; smallest first; a ReportWriteError names what failed).
 */
export async function writeReports(
  report: RunReport,
  dir: string,
  writers: Record<string, ReportWriter> = builtinReportWriters,
): Promise<string[]> {
  // Render everything first: a formatter bug must not leave half the files behind.
  const files = Object.values(writers).map((w) => ({ file: w.file, text: w.render(report) }));
  return writeFiles(dir, files);
}

export {
  createProgressReporter,
  type ProgressReporter,
  type ProgressStatus,
  renderSummary,
} from './console.js';
export { type ConsoleReporterOptions, consoleReporter } from './console-reporter.js';
export { fileReporter, type ReportWriter, type SuiteWriter } from './file-reporter.js';
export { formatDuration } from './format.js';
export { renderHtml } from './html.js';
export {
  type HtmlReporter,
  type HtmlReporterOptions,
  htmlReporter,
  type TrendSource,
} from './html-reporter.js';
export { renderSummaryHtml, renderTrend, type TrendPoint } from './html-suite.js';
export { renderJson } from './json.js';
export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export type {
  FileReporter,
  Reporter,
  ReporterHook,
  ReportFile,
  RunStartContext,
  SuiteStartContext,
} from './reporter.js';
export { type NamedReporter, type ReporterFailure, ReporterSet } from './reporter-set.js';
