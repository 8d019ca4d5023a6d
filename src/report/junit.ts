// junit.xml for CI: one testcase per target, and never a green build for a run that did not pass.

import type { RunReport, TargetResult } from '../core/report-model.js';
import {
  boundAsWritten,
  formatBound,
  formatMeasured,
  formatPrimarySchedule,
  formatValue,
  targetLabel,
} from './format.js';
import { primarySchedule } from './iteration-facts.js';

/** The Char production of XML 1.0: anything else cannot appear, not even as a character reference. */
function isXmlChar(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    c >= 0x10000
  );
}

/** Illegal characters become a visible `\uXXXX` so the reader still sees something was there. */
function replaceIllegal(text: string): string {
  let out = '';
  // for..of walks code points, so paired surrogates stay together and lone ones are caught.
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    out += isXmlChar(c) ? ch : `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return out;
}

export function escapeXmlText(text: string): string {
  return replaceIllegal(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also keep their tabs and line breaks, which parsers otherwise turn into spaces. */
export function escapeXmlAttr(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

interface Case {
  name: string;
  outcome?: { element: 'failure' | 'error'; type: string; message: string; body: string };
  /** What was measured, for every target (passing ones too): shown as the case's output. */
  out?: string;
}

function targetCase(t: TargetResult, asDeclared: boolean): Case {
  const name = `${targetLabel(t)} <= ${boundAsWritten(t)}`;
  const measured = t.measured === null ? `nothing (${t.measuredText || 'not measured'})` : formatMeasured(t);
  // An absolute bound alone as a plain value ("bound 5 s"); a relative one with its limit and baseline.
  const bound = t.regression || t.bound === null ? formatBound(t) : formatValue(t.bound, t.unit);
  const message = `measured ${measured}, bound ${bound} (${t.source})`;
  const out = `${t.verdict}: ${message}`;
  if (t.verdict === 'pass') return { name, out };
  // A negative control that failed as it declared shows the behaviour it exists to show.
  if (asDeclared) return { name: `${name} (${t.verdict}, as declared)`, out };
  const body = [
    `verdict: ${t.verdict}`,
    `measured: ${t.measured === null ? 'null' : t.measured} (${t.measuredText})`,
    `bound: ${t.bound} (${t.boundText || 'none'})`,
    ...(t.regression ? [`relative bound: ${t.regression.maxRegression}: ${t.regression.note}`] : []),
    `source: ${t.source}`,
    ...(t.note ? [`note: ${t.note}`] : []),
  ].join('\n');
  // Inconclusive is reported as a failure: a fault that did nothing observable must not pass CI.
  const element = t.verdict === 'error' ? 'error' : 'failure';
  return { name, outcome: { element, type: t.verdict, message, body }, out };
}

/**
 * A run that did not pass must show up red even when no target says why (the harness failed
 * before evaluating, or the verdict came from the run rather than a target).
 */
function runCase(r: RunReport, cases: readonly Case[]): Case | undefined {
  const x = r.expectation;
  if (x && r.verdict !== 'error') {
    // Judged by the declaration: green exactly when the run behaved as declared.
    if (x.met) return undefined;
    const body = [`verdict: ${r.verdict}`, `expected: ${x.verdict}`, `exit code: ${r.exitCode}`].join('\n');
    return {
      name: 'expectation',
      outcome: { element: 'failure', type: x.outcome, message: x.message, body },
    };
  }
  const explained = cases.some((c) => c.outcome !== undefined);
  if (r.verdict === 'pass') return cases.length === 0 ? { name: 'run' } : undefined;
  if (explained && r.verdict !== 'error') return undefined;
  if (r.verdict === 'error' && cases.some((c) => c.outcome?.element === 'error')) return undefined;
  const message = r.error ? `${r.error.code}: ${r.error.message}` : `run verdict ${r.verdict}`;
  const body = [`verdict: ${r.verdict}`, `exit code: ${r.exitCode}`, `run directory: ${r.runDir}`].join('\n');
  const element = r.verdict === 'error' ? 'error' : 'failure';
  return { name: 'run', outcome: { element, type: r.verdict, message, body } };
}

/** The run's facts as flat junit properties (harness.commit, host.kernel, version.postgres, ...). */
function factProperties(r: RunReport): Record<string, string> {
  const f = r.facts;
  if (!f) return {};
  return {
    'harness.version': f.harness.version,
    'harness.commit': f.harness.commit ?? 'unknown',
    'scenario.sha256': f.scenario.sha256 ?? 'unreadable',
    runId: f.runId,
    operator: f.operator,
    'host.os': f.host.os,
    'host.kernel': f.host.kernel,
    'host.cpus': String(f.host.cpus),
    'host.loadAverageStart': f.host.loadAverageStart.join(' '),
    'host.loadAverageEnd': f.host.loadAverageEnd.join(' '),
    ...Object.fromEntries(Object.entries(f.versions).map(([k, v]) => [`version.${k}`, v])),
  };
}

/** The primary probe's schedule (its worst iteration) as properties, for CI that reads numbers. */
function scheduleProperties(r: RunReport): Record<string, string> {
  const ps = primarySchedule(r);
  if (!ps) return {};
  const s = ps.schedule;
  const num = (v: number | null) => (v === null ? 'not recorded' : String(Number(v.toPrecision(6))));
  return {
    'schedule.probe': ps.probe,
    'schedule.requestedPerSec': num(s.requestedPerSec),
    'schedule.achievedPerSec': num(s.achievedPerSec),
    'schedule.lagP99Ms': num(s.lagP99Ms),
    'schedule.lagMaxMs': num(s.lagMaxMs),
    'schedule.lateShare': num(s.lateShare),
  };
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: string;
}

/** One run as a <testsuite> element (indented for a <testsuites> parent), and its counts. */
export function junitTestsuite(report: RunReport): { xml: string[]; counts: Counts } {
  const scenario = report.scenario.name;
  // Only a run that behaved as declared turns its failed targets green; otherwise they stay red.
  const asDeclared = report.expectation?.met === true;
  const cases = report.targets.map((t) => targetCase(t, asDeclared));
  const run = runCase(report, cases);
  if (run) cases.push(run);
  const failures = cases.filter((c) => c.outcome?.element === 'failure').length;
  const errors = cases.filter((c) => c.outcome?.element === 'error').length;
  const counts = { tests: cases.length, failures, errors, skipped: 0, time: seconds(report.wallMs) };

  const xml = [
    `  <testsuite${attrs({ name: scenario, ...counts, timestamp: report.startedAt })}>`,
    '    <properties>',
    ...Object.entries({
      verdict: report.verdict,
      exitCode: String(report.exitCode),
      runDir: report.runDir,
      scenarioFile: report.scenario.file,
      environment: report.environment.name,
      provider: report.environment.provider,
      ...factProperties(report),
      ...scheduleProperties(report),
    }).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
  ];
  for (const c of cases) {
    // Targets are judged after the run, so no time belongs to one testcase; the suite carries it.
    const head = `    <testcase${attrs({ classname: scenario, name: c.name, time: '0.000' })}`;
    if (!c.outcome && c.out === undefined) {
      xml.push(`${head}/>`);
      continue;
    }
    xml.push(`${head}>`);
    const o = c.outcome;
    if (o) {
      xml.push(
        `      <${o.element}${attrs({ message: o.message, type: o.type })}>${escapeXmlText(o.body)}</${o.element}>`,
      );
    }
    if (c.out !== undefined) xml.push(`      <system-out>${escapeXmlText(c.out)}</system-out>`);
    xml.push('    </testcase>');
  }
  // Whether the figures above can be trusted at all: the primary probe kept its schedule.
  xml.push(`    <system-out>${escapeXmlText(formatPrimarySchedule(report))}</system-out>`);
  xml.push('  </testsuite>');
  return { xml, counts };
}

/** Several runs (a suite) as one junit.xml: one <testsuite> per run, totals on <testsuites>. */
export function renderJunitSuites(name: string, reports: readonly RunReport[]): string {
  const suites = reports.map(junitTestsuite);
  const sum = (k: 'tests' | 'failures' | 'errors' | 'skipped') => suites.reduce((n, s) => n + s.counts[k], 0);
  const time = seconds(reports.reduce((n, r) => n + r.wallMs, 0));
  const totals = { tests: sum('tests'), failures: sum('failures'), errors: sum('errors'), skipped: 0, time };
  return `${[
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name, ...totals })}>`,
    ...suites.flatMap((s) => s.xml),
    '</testsuites>',
  ].join('\n')}\n`;
}

export function renderJunit(report: RunReport): string {
  return renderJunitSuites(report.tool.name, [report]);
}
