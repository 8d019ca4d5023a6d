// report.html's "Compared with earlier runs": the same figures as report.md's (history-comparison.ts).

import type { RunReport } from '../core/report-model.js';
import { verdictLabel } from './format.js';
import { COMPARISON_COLUMNS, comparisonRows } from './history-comparison.js';
import { html, type SafeHtml } from './html-escape.js';
import { table } from './html-page.js';

export function historyHtml(r: RunReport): SafeHtml | null {
  const h = r.history;
  if (!h) return null;
  const where = html`<code>${r.scenario.name}</code> on provider ${r.environment.provider} in <code>${h.file}</code>`;
  if (h.earlierRuns === 0) {
    return html`<section id="history"><h2>Compared with earlier runs</h2><p>No earlier run of ${where}: this is the first, and later runs will compare with it.</p></section>`;
  }
  const p = h.previous;
  const b = h.baseline;
  const previous = p
    ? html`<li>Previous run: <code>${p.runId}</code>, started ${p.startedAt}, ${verdictLabel(p.verdict)} (exit code ${p.exitCode})${p.sameScenarioFile ? '' : ', with another version of the scenario file'}.</li>`
    : null;
  const baseline = b
    ? html`<li>Baseline: the median of the last ${b.n} passing run(s) (up to ${b.runs} are taken): ${b.runIds.join(', ')}${b.otherScenarioFile ? `; ${b.otherScenarioFile} of them with another version of the scenario file` : ''}.</li>`
    : html`<li>No baseline yet: 0 passing runs in <code>${h.file}</code>.</li>`;
  const cols = COMPARISON_COLUMNS(b?.n ?? 0).map((label, i) => (i === 0 ? label : { label, num: true }));
  return html`<section id="history"><h2>Compared with earlier runs</h2><p>${h.earlierRuns} earlier run(s) of ${where}, ${h.passingRuns} of them passing.</p><ul>${previous}${baseline}</ul>${table(cols, comparisonRows(r))}</section>`;
}
