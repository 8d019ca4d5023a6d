// The `html` reporter: report.html for each run, summary.html for a suite, with the RTO trend of
// whatever history it is given (a list of points, or a function that reads them when the suite ends).

import type { SuiteSummary } from '../suite/summary.js';
import { renderHtml } from './html.js';
import { renderSummaryHtml, type TrendPoint } from './html-suite.js';
import type { FileReporter } from './reporter.js';

export type TrendSource =
  | readonly TrendPoint[]
  | ((summary: SuiteSummary, dir: string) => readonly TrendPoint[]);

export interface HtmlReporterOptions {
  /** Earlier runs for summary.html's RTO trend; without it the page says there is no history yet. */
  history?: TrendSource | undefined;
}

export interface HtmlReporter extends FileReporter {
  /** Read when the suite ends, so it may be set after the reporter is made. */
  history: TrendSource | undefined;
}

export function htmlReporter(options: HtmlReporterOptions = {}): HtmlReporter {
  const reporter: HtmlReporter = {
    history: options.history,
    renderRun: (report) => ({ file: 'report.html', text: renderHtml(report) }),
    renderSuite(summary, dir, reports) {
      const h = reporter.history;
      const points = typeof h === 'function' ? h(summary, dir) : (h ?? []);
      return { file: 'summary.html', text: renderSummaryHtml(summary, dir, reports, points) };
    },
  };
  return reporter;
}
