// One sentence on what a probe had under way when the fault landed (report.md and report.html):
// did a SIGTERM really meet requests in flight, and what became of them?

import type { AtFault } from '../core/report-model.js';
import { formatDuration } from './format.js';

export function atFaultText(a: AtFault): string {
  const lost = (n: number | undefined) => (n === undefined ? '' : ` (${n} of them lost)`);
  return (
    `In flight at the fault: ${a.inFlight} operation(s) started before injection began and ended after t_inject ` +
    `(injection took ${formatDuration(a.tInjectMs - a.injectStartMs)}): ${a.ok} acknowledged${lost(a.okLost)}, ` +
    `${a.failed} failed, ${a.unknown} timed out or cut off. Acknowledged in the ${formatDuration(a.recentWindowMs)} ` +
    `before injection began: ${a.recentAcks}${lost(a.recentAcksLost)}.`
  );
}
