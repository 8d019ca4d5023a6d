// The run's facts as label / value rows, the same in report.md and report.html.

import type { RunFacts } from '../core/report-model.js';
import { formatDetail, formatDuration } from './format.js';

export function factRows(f: RunFacts): [string, string][] {
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  return [
    [
      'Harness',
      `${f.harness.name} ${f.harness.version}${f.harness.commit ? `, commit ${f.harness.commit}` : ''}`,
    ],
    ['Scenario file', `${f.scenario.file} (sha256 ${f.scenario.sha256 ?? 'unreadable'})`],
    ['Run id', f.runId],
    ['Operator', f.operator],
    ['Provider', f.provider],
    [
      'Environment options',
      Object.entries(f.environmentOptions)
        .map(([k, v]) => `${k}: ${formatDetail(v)}`)
        .join(', ') || 'none (defaults)',
    ],
    ['Host', `${f.host.hostname}: ${f.host.os}, ${f.host.kernel}, ${f.host.arch}`],
    ['CPUs', `${f.host.cpus} × ${f.host.cpuModel}, ${f.host.memoryMiB} MiB memory`],
    [
      'Load average (1 / 5 / 15 min)',
      `${load(f.host.loadAverageStart)} at start, ${load(f.host.loadAverageEnd)} at end`,
    ],
    ...(f.host.cpuBusy
      ? [
          [
            'Host CPU busy (all processes)',
            `${f.host.cpuBusy.meanPct.toFixed(1)}% mean over the run, ${f.host.cpuBusy.maxPct.toFixed(1)}% in its busiest second (${f.host.cpuBusy.seconds} s sampled)`,
          ] as [string, string],
        ]
      : []),
    ...(f.suite
      ? [
          [
            'Ran alongside',
            f.suite.alongside.length === 0
              ? `no other run (suite --jobs ${f.suite.jobs})`
              : `${f.suite.alongside.map((a) => `${a.name} (${formatDuration(a.overlapMs)})`).join(', ')}: runs of the same suite (--jobs ${f.suite.jobs}) and how long each overlapped this run's process`,
          ] as [string, string],
        ]
      : []),
    ...Object.entries(f.versions).map(([k, v]): [string, string] => [`Version: ${k}`, v]),
  ];
}
