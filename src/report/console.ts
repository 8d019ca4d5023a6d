// What a person sees in the terminal: live progress while the run goes, a summary when it ends.

import type { Writable } from 'node:stream';
import type { RunReport, Verdict } from '../core/report-model.js';
import type { ProgressSink, ProgressStatus } from '../core/run/progress.js';
import type { RunEvent } from '../core/types.js';
import {
  formatBound,
  formatDuration,
  formatMaybeDuration,
  formatMeasured,
  formatNumber,
  formatOffset,
  formatPrimarySchedule,
  formatRto,
  iterationLabel,
  targetLabel,
  verdictLabel,
} from './format.js';
import { lostWrites, runLostWrites } from './iteration-facts.js';

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
};
type Style = keyof typeof ANSI;

function painter(color: boolean): (text: string, ...styles: Style[]) => string {
  if (!color) return (text) => text;
  return (text, ...styles) => `${styles.map((s) => ANSI[s]).join('')}${text}${ANSI.reset}`;
}

const VERDICT_STYLE: Record<Verdict, Style> = {
  pass: 'green',
  fail: 'red',
  inconclusive: 'yellow',
  error: 'red',
};

export interface SummaryOptions {
  color: boolean;
  /** Files the run wrote (from writeReports); the run directory is shown when absent. */
  reportPaths?: readonly string[];
}

export function renderSummary(report: RunReport, options: SummaryOptions): string {
  const paint = painter(options.color);
  const v = report.verdict;
  const out = [
    `${paint(verdictLabel(v), 'bold', VERDICT_STYLE[v])}  ${report.scenario.name}  (exit code ${report.exitCode})`,
  ];
  const x = report.expectation;
  if (x) out.push(`  ${paint(x.met ? `✓ ${x.message}` : `✗ ${x.message}`, 'bold', x.met ? 'green' : 'red')}`);
  if (report.error) out.push(`  ${report.error.code}: ${report.error.message}`);

  out.push('', 'Targets');
  if (report.targets.length === 0) out.push('  none evaluated');
  for (const t of report.targets) {
    const mark = t.pass ? paint('✓', 'green') : paint('✗', VERDICT_STYLE[t.verdict]);
    const tail = t.verdict === 'pass' || t.verdict === 'fail' ? '' : ` [${t.verdict}]`;
    out.push(
      `  ${mark} ${targetLabel(t)}: ${formatMeasured(t)} (bound ${formatBound(t)})${tail}  ${paint(t.source, 'dim')}`,
    );
    if (t.note) out.push(`      ${t.note}`);
  }

  if (report.iterations.length > 0) {
    out.push('', 'Iterations');
    for (const it of report.iterations) {
      const lost = lostWrites(it);
      const parts = [`RTO ${formatRto(it.rtoMs, it.impact)}`];
      if (it.mttdMs !== null) parts.push(`MTTD ${formatDuration(it.mttdMs)}`);
      if (lost) parts.push(`lost writes ${lost.lost}`, `RPO window ${formatDuration(lost.windowMs)}`);
      if (it.error) parts.push(`error: ${it.error}`);
      out.push(`  #${iterationLabel(it.index, it.name)}  ${parts.join(', ')}`);
    }
  }
  const m = report.mttr;
  if (m) {
    const stats = `mean ${formatDuration(m.meanMs)}, median ${formatDuration(m.medianMs)}`;
    out.push(`MTTR  ${stats}, min ${formatDuration(m.minMs)}, max ${formatDuration(m.maxMs)} (n=${m.n})`);
  }
  const lost = runLostWrites(report);
  if (lost) {
    const split = lost.afterInject > 0 ? `, ${lost.afterInject} of them acknowledged after the fault` : '';
    const text = `Lost writes  ${lost.lost} of ${lost.acknowledged} acknowledged${split}`;
    out.push(lost.lost > 0 ? paint(text, 'red') : text);
  }
  out.push(`Schedule  ${formatPrimarySchedule(report)}`);
  out.push(`Wall time  ${formatDuration(report.wallMs)}`);
  const h = report.history;
  if (h) {
    const prev = h.previous
      ? `previous run ${h.previous.runId} ${verdictLabel(h.previous.verdict)}, RTO median ${formatMaybeDuration(h.previous.rtoMedianMs)}`
      : 'first run of this scenario here';
    const base = h.baseline
      ? `baseline RTO median ${formatMaybeDuration(h.baseline.rtoMedianMs)} (n=${h.baseline.n})`
      : 'no baseline yet';
    out.push(`History  ${prev}; ${base}  ${paint(h.file, 'dim')}`);
  }
  out.push('', 'Reports');
  const paths = options.reportPaths ?? [report.runDir];
  for (const p of paths) out.push(`  ${p}`);
  return `${out.join('\n')}\n`;
}

export type { ProgressStatus };

export interface ProgressReporter extends ProgressSink {
  close(): void;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream | Writable;
  isTTY: boolean;
  /** Milliseconds, any origin: only differences are used, to throttle output. */
  clock: () => number;
  color?: boolean;
}

// Logs in CI are read after the fact: a status line every 5 s shows liveness without drowning events.
const PLAIN_STATUS_EVERY_MS = 5000;
// A terminal redraw faster than this only burns CPU.
const TTY_REDRAW_EVERY_MS = 100;
const CLEAR_LINE = '\r\x1b[2K';

function statusText(s: ProgressStatus): string {
  const streak = s.failureStreak > 0 ? `failing ×${s.failureStreak}` : 'no failures';
  return [
    `iteration ${s.iteration}/${s.repeat}`,
    s.phase,
    `${formatNumber(s.opsPerSec)} ops/s`,
    streak,
    formatDuration(s.elapsedMs),
  ].join(' · ');
}

function eventText(e: RunEvent): string {
  return `[${formatOffset(e.tMs)}] ${e.type}: ${e.message.replace(/\r?\n|\r/g, ' ')}`;
}

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const { stream, isTTY, clock } = options;
  const paint = painter(isTTY && options.color !== false);
  const write = (text: string) => {
    stream.write(text);
  };
  let last: ProgressStatus | undefined;
  let lastDrawAt = Number.NEGATIVE_INFINITY;
  let closed = false;

  if (!isTTY) {
    return {
      event(e) {
        if (!closed) write(`${eventText(e)}\n`);
      },
      status(s) {
        const now = clock();
        if (closed || now - lastDrawAt < PLAIN_STATUS_EVERY_MS) return;
        lastDrawAt = now;
        write(`[${formatOffset(s.elapsedMs)}] status: ${statusText(s)}\n`);
      },
      close() {
        closed = true;
      },
    };
  }

  const drawStatus = () => {
    if (last) write(`${CLEAR_LINE}${paint(statusText(last), 'dim')}`);
  };
  return {
    event(e) {
      if (closed) return;
      // Print the event where the status line was, then put the status line back under it.
      write(`${CLEAR_LINE}${eventText(e)}\n`);
      drawStatus();
    },
    status(s) {
      if (closed) return;
      last = s;
      const now = clock();
      if (now - lastDrawAt < TTY_REDRAW_EVERY_MS) return;
      lastDrawAt = now;
      drawStatus();
    },
    close() {
      if (closed) return;
      closed = true;
      if (last) write(CLEAR_LINE);
    },
  };
}
