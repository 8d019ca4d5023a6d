// The console as a reporter: a header per run, live progress while it goes, the summary when it
// ends; for a suite also its first line and the suite's summary.

import type { Writable } from 'node:stream';
import { renderSummaryMarkdown } from '../suite/summary.js';
import { createProgressReporter, type ProgressReporter, renderSummary } from './console.js';
import type { Reporter } from './reporter.js';

export interface ConsoleReporterOptions {
  stream: NodeJS.WriteStream | Writable;
  /** Redraws one status line and uses colour when true; plain lines for logs otherwise. */
  isTTY: boolean;
  /** Milliseconds, any origin (throttles the output). */
  clock: () => number;
}

export function consoleReporter(options: ConsoleReporterOptions): Reporter {
  const { stream, isTTY, clock } = options;
  const write = (text: string) => {
    stream.write(text);
  };
  let progress: ProgressReporter | undefined;
  let inSuite = false;
  return {
    onSuiteStart(c) {
      inSuite = true;
      write(
        `suite: ${c.scenarios.length} of ${c.selected} scenario(s)${c.shard ? ` (shard ${c.shard})` : ''} into ${c.outDir}\n`,
      );
    },
    onRunStart(scenario, c) {
      progress = createProgressReporter({ stream, isTTY, clock });
      if (c.suite) {
        const first = scenario.spec.description?.split('\n')[0] ?? '';
        write(`\n[${c.suite.index + 1}/${c.suite.of}] ${scenario.name}: ${first}\n`);
      } else {
        write(`scenario ${scenario.name}: ${scenario.spec.description ?? ''}\n`);
      }
    },
    onEvent(e) {
      progress?.event(e);
    },
    onStatus(s) {
      progress?.status(s);
    },
    onRunEnd() {
      progress?.close();
      progress = undefined;
    },
    onRunReported(report, files) {
      // In a suite the run's folder says where everything is; a lone run lists its files.
      const reportPaths = inSuite || files.length === 0 ? [report.runDir] : files;
      write(`\n${renderSummary(report, { color: isTTY, reportPaths })}`);
    },
    onSuiteReported(summary, files) {
      write(`\n${renderSummaryMarkdown(summary)}${files.length ? `\nwritten: ${files.join(', ')}\n` : ''}`);
    },
  };
}
