// A reporter that is one file per run (and one per suite), written by its reporter set.

import type { RunReport } from '../core/report-model.js';
import type { SuiteSummary } from '../suite/summary.js';
import type { FileReporter } from './reporter.js';

export interface ReportWriter {
  /** File name inside the run directory. */
  file: string;
  render(report: RunReport): string;
}

export interface SuiteWriter {
  /** File name inside the suite's directory. */
  file: string;
  render(summary: SuiteSummary, dir: string, reports: readonly RunReport[]): string;
}

export function fileReporter(run: ReportWriter, suite?: SuiteWriter): FileReporter {
  return {
    renderRun: (report) => ({ file: run.file, text: run.render(report) }),
    ...(suite
      ? {
          renderSuite: (summary, dir, reports) => ({
            file: suite.file,
            text: suite.render(summary, dir, reports),
          }),
        }
      : {}),
  };
}
