import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/report-model.js';
import { errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';
import { escapeXmlAttr, escapeXmlText, renderJunit } from './junit.js';

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const BAD_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return ENTITIES[ref] ?? '';
  });
}

/** Enough of XML 1.0 to reject what a JUnit consumer would: bad nesting, raw `<`/`&`, illegal characters. */
function parseXml(xml: string): XmlNode {
  for (const ch of xml) {
    const c = ch.codePointAt(0)!;
    const ok =
      c === 9 ||
      c === 10 ||
      c === 13 ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      c >= 0x10000;
    if (!ok) throw new Error(`illegal character U+${c.toString(16)}`);
  }
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/;
  if (!decl.test(xml)) throw new Error('missing XML declaration');
  const body = xml.replace(decl, '');
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const attrRe = /([A-Za-z_][\w.-]*)="([^"<]*)"/g;
  const root: XmlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlNode[] = [root];
  let pos = 0;
  while (pos < body.length) {
    token.lastIndex = pos;
    const m = token.exec(body);
    if (!m) throw new Error(`not well-formed at ${pos}: ${body.slice(pos, pos + 40)}`);
    pos = token.lastIndex;
    const top = stack[stack.length - 1]!;
    const [, closing, name, attrText, selfClosing, text] = m;
    if (text !== undefined) {
      if (BAD_AMP.test(text) || text.includes('>')) throw new Error(`unescaped text: ${text}`);
      if (stack.length === 1 && text.trim() !== '') throw new Error('text outside the root');
      top.text += decode(text);
      continue;
    }
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const node: XmlNode = { name: name!, attrs: {}, children: [], text: '' };
    for (const [, k, v] of (attrText ?? '').matchAll(attrRe)) {
      if (k! in node.attrs) throw new Error(`duplicate attribute ${k}`);
      if (BAD_AMP.test(v!)) throw new Error(`unescaped & in ${k}`);
      node.attrs[k!] = decode(v!);
    }
    top.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (root.children.length !== 1) throw new Error('expected exactly one root element');
  return root.children[0]!;
}

function child(node: XmlNode, name: string): XmlNode {
  const found = node.children.find((c) => c.name === name);
  if (!found) throw new Error(`no <${name}> in <${node.name}>`);
  return found;
}

function suiteOf(report: RunReport): XmlNode {
  return child(parseXml(renderJunit(report)), 'testsuite');
}

function properties(suite: XmlNode): Record<string, string> {
  return Object.fromEntries(child(suite, 'properties').children.map((p) => [p.attrs.name, p.attrs.value]));
}

describe('renderJunit', () => {
  it('gives every target case, passing ones too, the measured value and the bound as its output', () => {
    const cases = suiteOf(passReport()).children.filter((c) => c.name === 'testcase');
    const outs = cases.map((c) => c.children.find((x) => x.name === 'system-out')?.text);
    expect(outs).toHaveLength(3);
    for (const o of outs) expect(o).toMatch(/^pass: measured .+, bound .+ \(.+\)$/);
  });

  it('has one passing testcase per target of a passing run', () => {
    const suite = suiteOf(passReport());
    expect(suite.attrs).toMatchObject({
      name: 'postgres-primary-down',
      tests: '3',
      failures: '0',
      errors: '0',
    });
    expect(suite.attrs.time).toBe('103.210');
    const cases = suite.children.filter((c) => c.name === 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual([
      'rto writes <= 5m',
      'lost-writes writes <= 0',
      'latency-p95 (recovered) writes <= 250ms',
    ]);
    for (const c of cases) {
      expect(c.attrs.classname).toBe('postgres-primary-down');
      expect(c.children.map((x) => x.name)).toEqual(['system-out']);
    }
  });

  it("states the primary probe's achieved rate and schedule lag in the suite's output and properties", () => {
    const suite = suiteOf(passReport());
    const out = suite.children.filter((c) => c.name === 'system-out');
    expect(out.map((o) => o.text)).toEqual([
      'primary probe "writes" (every 10 ms): 99.8 of 100 ops/s achieved; schedule lag p50 0.420 ms, p99 4.40 ms, max 13.2 ms; 0 of 1600 operations (0%) more than one interval late (worst of 3 iterations: 2)',
    ]);
    expect(properties(suite)).toMatchObject({
      'schedule.probe': 'writes',
      'schedule.achievedPerSec': '99.8',
      'schedule.lagP99Ms': '4.4',
      'schedule.lateShare': '0',
    });
  });

  it('records verdict and run directory as properties', () => {
    expect(properties(suiteOf(passReport()))).toMatchObject({
      verdict: 'pass',
      runDir: 'runs/2025-03-01T02-00-00-postgres-primary-down',
    });
  });

  it('fails failing targets and counts inconclusive ones as failures', () => {
    const suite = suiteOf(splitBrainReport());
    expect(suite.attrs).toMatchObject({ tests: '3', failures: '2', errors: '0' });
    const [rto, lost, rate] = suite.children.filter((c) => c.name === 'testcase');
    expect(rto!.children.map((x) => x.name)).toEqual(['system-out']);
    expect(child(lost!, 'failure').attrs).toEqual({
      message: 'measured 3, bound 0 (HA runbook: no acknowledged write lost)',
      type: 'fail',
    });
    const inconclusive = child(rate!, 'failure');
    expect(inconclusive.attrs.type).toBe('inconclusive');
    expect(inconclusive.attrs.message).toBe(
      'measured nothing (no operations in phase), bound 50% (SLO <sheet> & "notes")',
    );
    expect(inconclusive.text).toContain('note: the fault phase was shorter than one probe interval');
  });

  it('reports a run that measured nothing as one errored testcase', () => {
    const root = parseXml(renderJunit(errorReport()));
    expect(root.attrs).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    const suite = child(root, 'testsuite');
    const run = child(suite, 'testcase');
    expect(run.attrs.name).toBe('run');
    expect(child(run, 'error').attrs.message).toBe(
      'STEADY_STATE_NOT_REACHED: steady state not reached: writes error rate 12% > 1% after 30s <check> & "retry"',
    );
    expect(properties(suite).verdict).toBe('error');
  });

  it('never looks green when the run failed without a failing target', () => {
    const report: RunReport = { ...passReport(), verdict: 'inconclusive', exitCode: 1 };
    const suite = suiteOf(report);
    expect(suite.attrs).toMatchObject({ tests: '4', failures: '1' });
    expect(suite.children.filter((c) => c.name === 'testcase').at(-1)!.attrs.name).toBe('run');
  });

  it('escapes markup and control characters so the file stays well-formed', () => {
    const nasty = `a<b>&c"d'e\u0001f\u0000g\th\ni\u001b`;
    const report = splitBrainReport();
    report.scenario.name = nasty;
    report.runDir = nasty;
    report.targets = report.targets.map((t) => ({ ...t, source: nasty, metric: nasty, boundText: nasty }));
    const xml = renderJunit(report);
    const suite = child(parseXml(xml), 'testsuite');
    const expected = `a<b>&c"d'e\\u0001f\\u0000g\th\ni\\u001b`;
    expect(suite.attrs.name).toBe(expected);
    expect(properties(suite).runDir).toBe(expected);
    const failing = suite.children.filter((c) => c.name === 'testcase')[1]!;
    expect(failing.attrs.name).toBe(`${expected} writes <= ${expected}`);
    expect(child(failing, 'failure').text).toContain(`source: ${expected}`);
  });
});

describe('the well-formedness check used above', () => {
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
  it.each([
    ['a raw ampersand', '<a>&</a>'],
    ['a raw < in an attribute', '<a b="<"/>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['a control character', '<a>\u0001</a>'],
    ['two roots', '<a/><b/>'],
  ])('rejects %s', (_, xml) => {
    expect(() => parseXml(head + xml)).toThrow();
  });
});

describe('XML escaping', () => {
  it('escapes the five markup characters in attributes and keeps whitespace', () => {
    expect(escapeXmlAttr(`<&>"'\t\n\r`)).toBe('&lt;&amp;&gt;&quot;&apos;&#9;&#10;&#13;');
  });

  it('replaces characters XML cannot carry, including lone surrogates, with visible escapes', () => {
    expect(escapeXmlText('x\u0007y\uD800z😀')).toBe('x\\u0007y\\ud800z😀');
  });
});
