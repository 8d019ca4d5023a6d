// The frame every HTML report shares: one self-contained page (inline CSS, no script, no font or
// image to fetch, not even a favicon), tables and verdict badges.

import type { Verdict } from '../core/report-model.js';
import { verdictLabel } from './format.js';
import { type HtmlValue, html, raw, type SafeHtml } from './html-escape.js';
import type { Column } from './probe-tables.js';

const CSS = `
:root{--fg:#1d2330;--muted:#5c6473;--line:#d9dde4;--bg:#fff;--soft:#f5f6f8;
--pass:#1a7f37;--fail:#c62828;--inconclusive:#b26a00;--error:#6a3fb5}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1180px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:24px;margin:0 0 8px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}h4{font-size:14px;margin:14px 0 4px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:700;letter-spacing:.03em}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-inconclusive{background:var(--inconclusive)}.v-error{background:var(--error)}
.t-pass{color:var(--pass);font-weight:600}.t-fail{color:var(--fail);font-weight:600}.t-inconclusive{color:var(--inconclusive);font-weight:600}.t-error{color:var(--error);font-weight:600}
.verdict{font-size:16px;margin:6px 0}.muted,.note{color:var(--muted)}.note{font-size:12.5px;margin:2px 0 8px}
.box{border-left:4px solid var(--line);background:var(--soft);padding:8px 12px;margin:10px 0}
.box.met{border-color:var(--pass)}.box.not-met,.box.error{border-color:var(--fail)}
ul.facts{margin:6px 0;padding-left:20px}
.charts{display:grid;gap:6px}
figure.chart-box{margin:0}figcaption{font-size:12.5px;font-weight:600;display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}
.legend{font-weight:400;color:var(--muted)}.key{margin-left:10px}.key::before{content:"";display:inline-block;width:14px;height:3px;margin-right:4px;vertical-align:middle;background:currentColor}
svg.chart{width:100%;height:auto;display:block}
svg text{font-size:11px;fill:var(--muted)}
.grid{stroke:#eceef2}.axis,.tick-mark{stroke:#9aa1ad}
.fault-window{fill:rgba(198,40,40,.10)}
.series{fill:none;stroke-width:1.6;stroke-linejoin:round;stroke-linecap:round}
.s-started{stroke:#c3c8d0;color:#c3c8d0;stroke-width:3.2}.s-ok{stroke:#1f6fb2;color:#1f6fb2}.s-error{stroke:#c62828;color:#c62828}
.s-p50{stroke:#1f6fb2;color:#1f6fb2}.s-p95{stroke:#e08a00;color:#e08a00}
.mark line{stroke-width:1.2;stroke-dasharray:4 3}.mark text{font-size:10.5px}
.m-inject line{stroke:#c62828}.m-inject text{fill:#c62828}.m-detected line{stroke:#e08a00}.m-detected text{fill:#b26a00}
.m-recovered line{stroke:#1a7f37}.m-recovered text{fill:#1a7f37}.m-ended line{stroke:#6a3fb5}.m-ended text{fill:#6a3fb5}
.p0{stroke:#1f6fb2;color:#1f6fb2}.p1{stroke:#e08a00;color:#e08a00}.p2{stroke:#2e9e5b;color:#2e9e5b}.p3{stroke:#8e44ad;color:#8e44ad}
.p4{stroke:#c0392b;color:#c0392b}.p5{stroke:#16a0a6;color:#16a0a6}.p6{stroke:#7f8c8d;color:#7f8c8d}.p7{stroke:#b8860b;color:#b8860b}
.dot{stroke:#fff;stroke-width:1}.d-pass{fill:var(--pass)}.d-fail{fill:var(--fail)}.d-inconclusive{fill:var(--inconclusive)}.d-error{fill:var(--error)}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`
  .trim()
  .replace(/\n/g, '');

export function page(title: string, body: SafeHtml): string {
  // data: as favicon keeps the browser from asking the file system (or a server) for /favicon.ico.
  return `${html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light"><title>${title}</title><link rel="icon" href="data:,"><style>${raw(CSS)}</style></head>
<body>
${body}
</body></html>`}\n`;
}

export function verdictBadge(verdict: Verdict | string): SafeHtml {
  const v = verdict as Verdict;
  return html`<span class="badge v-${v}">${verdictLabel(v)}</span>`;
}

export function verdictText(verdict: Verdict | string): SafeHtml {
  const v = verdict as Verdict;
  return html`<span class="t-${v}">${verdictLabel(v)}</span>`;
}

export function table(
  columns: readonly (Column | string)[],
  rows: readonly (readonly HtmlValue[])[],
): SafeHtml {
  const cols = columns.map((c) => (typeof c === 'string' ? { label: c } : c));
  const num = (i: number) => (cols[i]?.num ? html` class="num"` : null);
  return html`<table><thead><tr>${cols.map((c, i) => html`<th${num(i)}>${c.label}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((cell, i) => html`<td${num(i)}>${cell}</td>`)}</tr>`,
  )}</tbody></table>`;
}
