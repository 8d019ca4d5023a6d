// A probe's per-group table (RTO and lost writes per slot range of a Redis Cluster), as rows of
// text for report.md and report.html.

import type { ProbeIterationResult } from '../core/report-model.js';
import { formatRto } from './format.js';
import { type Column, offsetOrDash } from './probe-tables.js';

const figure = (label: string): Column => ({ label, num: true });

export const GROUP_COLUMNS: readonly Column[] = [
  { label: 'Group' },
  ...['Ops', 'Failed after fault', 'RTO', 'First failure', 'Recovered at', 'Acknowledged', 'Lost'].map(
    figure,
  ),
];

/** A row per group; none when the probe's operations carry no group. */
export function groupRows(p: ProbeIterationResult): string[][] {
  return (p.groups ?? []).map((g) => [
    g.group,
    String(g.ops),
    String(g.rto.failedOps),
    formatRto(g.rto.rtoMs, g.rto.impact),
    offsetOrDash(g.rto.firstFailureMs),
    offsetOrDash(g.rto.recoveredAtMs),
    g.rpo ? String(g.rpo.acknowledged) : '—',
    g.rpo ? String(g.rpo.lost) : '—',
  ]);
}

/** Why the probe's RTO is the worst group's, for the line under the table. */
export const GROUPS_NOTE =
  "The probe's RTO is its worst group's: every group hit by the fault must succeed again, stable, on operations of its own.";
