// report.md's "Compared with earlier runs": this run's figures next to the previous run's and the
// baseline's (the median of the last passing runs in the history file).

import type { RunReport } from '../core/report-model.js';
import { verdictLabel } from './format.js';
import { COMPARISON_COLUMNS, comparisonRows } from './history-comparison.js';
import { code, inline, table } from './markdown-table.js';

export function historySection(r: RunReport): string[] {
  const h = r.history;
  if (!h) return [];
  const out = ['## Compared with earlier runs', ''];
  const where = `${code(r.scenario.name)} on provider ${inline(r.environment.provider)} in ${code(h.file)}`;
  if (h.earlierRuns === 0) {
    out.push(`No earlier run of ${where}: this is the first, and later runs will compare with it.`);
    return out;
  }
  out.push(`${h.earlierRuns} earlier run(s) of ${where}, ${h.passingRuns} of them passing.`, '');
  const p = h.previous;
  if (p) {
    out.push(
      `- Previous run: ${code(p.runId)}, started ${p.startedAt}, ${verdictLabel(p.verdict)} (exit code ${p.exitCode})` +
        `${p.sameScenarioFile ? '' : ', with another version of the scenario file'}.`,
    );
  }
  const b = h.baseline;
  if (b) {
    out.push(
      `- Baseline: the median of the last ${b.n} passing run(s) (up to ${b.runs} are taken): ${b.runIds.map(code).join(', ')}` +
        `${b.otherScenarioFile ? `; ${b.otherScenarioFile} of them with another version of the scenario file` : ''}.`,
    );
  } else {
    out.push(`- No baseline yet: 0 passing runs in ${code(h.file)}.`);
  }
  const rows = comparisonRows(r);
  out.push('', table(COMPARISON_COLUMNS(b?.n ?? 0), rows));
  return out;
}
