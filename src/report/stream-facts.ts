// What a stream's read-back found besides lost events (eventbus): duplicates, order, and the bus's
// buffer episodes, as plain lines for report.md and report.html.
import { drainFromMs } from '../core/metrics/drain.js';
import type { StreamCheck } from '../core/report-model.js';
import { formatDuration, formatOffset } from './format.js';

const SHOWN = 20;

const ids = (sample: readonly string[], n: number) =>
  sample.length === 0
    ? ''
    : `: ${sample.slice(0, SHOWN).join(', ')}${n > Math.min(sample.length, SHOWN) ? ', …' : ''}`;

export function streamFacts(s: StreamCheck): string[] {
  const out = [
    `Events of the probe in the stream: ${s.inStream}`,
    `Duplicated (extra copies): ${s.duplicated}${ids(s.duplicatedSample, s.duplicated)}`,
    `Out of order (after an event sent once they were acknowledged): ${s.outOfOrder}${ids(s.outOfOrderSample, s.outOfOrder)}`,
  ];
  if (s.episodes.length === 0) out.push('Buffer episodes: none (the bus buffered nothing)');
  for (const [i, e] of s.episodes.entries()) {
    const from = drainFromMs(e);
    out.push(
      `Buffer episode ${i + 1}: from ${formatOffset(e.startMs)}, up to ${e.maxBuffered} events buffered; ` +
        `Redis reachable again at ${formatOffset(from)} (${e.healedMs !== undefined ? 'the fault ended' : 'the bus reached it'}); ` +
        (e.emptyMs === null
          ? 'the buffer never emptied'
          : `empty at ${formatOffset(e.emptyMs)}: drained in ${formatDuration(e.emptyMs - from)}`),
    );
  }
  return out;
}
