// `--drill` (or `--reporter drill`): drill.md in a lone run's directory, or one for a whole suite
// next to its summary (the suite's runs then get none of their own).

import type { RunReport } from '../core/report-model.js';
import { renderDrill } from './drill.js';
import type { Reporter } from './reporter.js';
import { writeFiles } from './write-files.js';

export const DRILL_FILE = 'drill.md';

export function drillReporter(): Reporter {
  let reports: RunReport[] | undefined;
  return {
    onSuiteStart() {
      reports = [];
    },
    async onRunEnd(report, dir) {
      if (reports) {
        reports.push(report);
        return [];
      }
      return writeFiles(dir, [{ file: DRILL_FILE, text: renderDrill({ reports: [report] }) }]);
    },
    async onSuiteEnd(summary, dir) {
      const text = renderDrill({ reports: reports ?? [], summary });
      reports = undefined;
      return writeFiles(dir, [{ file: DRILL_FILE, text }]);
    },
  };
}
