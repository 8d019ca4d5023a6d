// The `html` reporter: report.html for each run, summary.html for a suite, with the RTO trend of
// whatever history it is given (a list of points, or a function that reads them when the suite ends);
// by default the history file the suite's runs appended to (each report.json names it).

import { existsSync } from 'node:fs';
import type { RunReport } from '../core/report-model.js';
import { readHistory, trendPoints } from '../history/index.js';
import type { SuiteSummary } from '../suite/summary.js';
import { renderHtml } from './html.js';
import { renderSummaryHtml, type TrendPoint } from './html-suite.js';
import type { FileReporter } from './reporter.js';

export type TrendSource =
  | readonly TrendPoint[]
  | ((summary: SuiteSummary, dir: string, reports: readonly RunReport[]) => readonly TrendPoint[]);

/** Every run in the history file the suite's runs used, of the suite's scenarios and provider. */
export function trendOfRuns(reports: readonly RunReport[]): TrendPoint[] {
  const file = reports.find((r) => r.history)?.history?.file;
  if (!file || !existsSync(file)) return [];
  const provider = reports[0]?.environment.provider;
  return trendPoints(
    readHistory(file),
    [...new Set(reports.map((r) => r.scenario.name))],
    provider ? { provider } : {},
  );
}

export interface HtmlReporterOptions {
  /** Earlier runs for summary.html's RTO trend; default: trendOfRuns (none: "no history yet"). */
  history?: TrendSource | undefined;
}

export interface HtmlReporter extends FileReporter {
  /** Read when the suite ends, so it may be set after the reporter is made. */
  history: TrendSource | undefined;
}

export function htmlReporter(options: HtmlReporterOptions = {}): HtmlReporter {
  const reporter: HtmlReporter = {
    history: options.history ?? ((_summary, _dir, reports) => trendOfRuns(reports)),
    renderRun: (report) => ({ file: 'report.html', text: renderHtml(report) }),
    renderSuite(summary, dir, reports) {
      const h = reporter.history;
      const points = typeof h === 'function' ? h(summary, dir, reports) : (h ?? []);
      return { file: 'summary.html', text: renderSummaryHtml(summary, dir, reports, points) };
    },
  };
  return reporter;
}
