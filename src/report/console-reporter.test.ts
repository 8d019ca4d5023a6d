import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LoadedScenario } from '../scenario/load.js';
import { newSummary, renderSummaryMarkdown } from '../suite/summary.js';
import { renderSummary } from './console.js';
import { consoleReporter } from './console-reporter.js';
import { passReport } from './fixtures/run-reports.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const scenario = {
  name: 'postgres-primary-down',
  spec: { description: 'Kill the primary.\nThree times.' },
} as unknown as LoadedScenario;
const start = { runId: 'r1', runDir: '/runs/x', provider: 'local' as const };

describe('consoleReporter', () => {
  it('prints a lone run as the CLI always has: header, events, summary with the files written', () => {
    const out = sink();
    const r = consoleReporter({ stream: out.stream, isTTY: false, clock: () => 0 });
    const report = passReport();
    r.onRunStart?.(scenario, start);
    r.onEvent?.({ tMs: 1500, type: 'inject', message: 'killed\nthe primary' });
    r.onRunEnd?.(report, '/runs/x');
    r.onEvent?.({ tMs: 1600, type: 'late', message: 'after the end' });
    r.onRunReported?.(report, ['/runs/x/report.json']);
    expect(out.text()).toBe(
      'scenario postgres-primary-down: Kill the primary.\nThree times.\n' +
        '[+1.500s] inject: killed the primary\n' +
        `\n${renderSummary(report, { color: false, reportPaths: ['/runs/x/report.json'] })}`,
    );
  });

  it('in a suite: its first line, a numbered header per run, the run folder, then the table', () => {
    const out = sink();
    const r = consoleReporter({ stream: out.stream, isTTY: false, clock: () => 0 });
    const report = passReport();
    const summary = newSummary({ refs: [], tags: ['smoke'], shards: ['1/2'], selected: 4 }, 'now');
    r.onSuiteStart?.({ scenarios: [scenario, scenario], selected: 4, shard: '1/2', outDir: 'out/shard-1' });
    r.onRunStart?.(scenario, { ...start, suite: { index: 1, of: 2 } });
    r.onRunEnd?.(report, report.runDir);
    r.onRunReported?.(report, ['/ignored/report.json']);
    r.onSuiteReported?.(summary, ['out/shard-1/summary.json', 'out/shard-1/junit.xml']);
    expect(out.text()).toBe(
      'suite: 2 of 4 scenario(s) (shard 1/2) into out/shard-1\n' +
        '\n[2/2] postgres-primary-down: Kill the primary.\n' +
        `\n${renderSummary(report, { color: false, reportPaths: [report.runDir] })}` +
        `\n${renderSummaryMarkdown(summary)}\nwritten: out/shard-1/summary.json, out/shard-1/junit.xml\n`,
    );
  });
});
