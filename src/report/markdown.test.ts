import { describe, expect, it } from 'vitest';
import { behindScheduleReport, errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';
import { formatDuration } from './format.js';
import { renderMarkdown } from './markdown.js';

describe('renderMarkdown', () => {
  it('puts the verdict and scenario in the title', () => {
    expect(renderMarkdown(passReport()).split('\n')[0]).toBe('# PASS: postgres-primary-down');
    expect(renderMarkdown(splitBrainReport()).split('\n')[0]).toBe('# FAIL: redis-partition');
    expect(renderMarkdown(errorReport()).split('\n')[0]).toBe('# ERROR: postgres-primary-down');
  });

  it('shows each target with its bound, measured value, verdict and source', () => {
    const md = renderMarkdown(passReport());
    expect(md).toContain('| rto | writes | ≤ 5 min | 2.21 s | PASS | DISASTER_RECOVERY.md: RTO < 5 min |');
    expect(md).toContain('| lost-writes | writes | ≤ 0 | 0 | PASS | DISASTER_RECOVERY.md: RPO 0 |');
    // A `|` inside a source must not split the cell.
    expect(md).toContain(
      '| latency-p95 | recovered / writes | ≤ 250 ms | 5.70 ms | PASS | HA_REPORT.md \\| API p95',
    );
  });

  it('shows an unmeasured target with the reason and the note', () => {
    const md = renderMarkdown(splitBrainReport());
    expect(md).toContain(
      '| no operations in phase | INCONCLUSIVE — the fault phase was shorter than one probe interval |',
    );
    expect(md).toContain('SLO &lt;sheet> & "notes"');
  });

  it("lists every iteration's RTO and MTTR statistics", () => {
    const report = passReport();
    const md = renderMarkdown(report);
    for (const it of report.iterations) {
      expect(md).toMatch(
        new RegExp(`^\\| ${it.index + 1} \\| ${formatDuration(it.rtoMs!)} \\| yes \\|`, 'm'),
      );
      expect(md).toContain(`### Iteration ${it.index + 1}`);
    }
    expect(md).toContain('| 3 | 1.90 s | 1.84 s | 1.65 s | 2.21 s |');
    expect(md).toContain('detect (1.52 s), promote node2 (323 ms)');
    expect(md).toContain('| 1.52 s |');
  });

  it('shows environment facts with bring-up time as a duration', () => {
    const md = renderMarkdown(passReport());
    expect(md).toContain('- Provider: local');
    expect(md).toContain('- Bring-up time: 4.31 s');
    expect(md).toContain('- postgresVersion: 16.4');
  });

  it('shows per-phase latency per probe', () => {
    const md = renderMarkdown(passReport());
    expect(md).toContain(
      '| steady | 1000 | 1000 | 0 | 0 | 0% | 1.90 ms | 4.20 ms | 6.30 ms | 12.6 ms | 10 s |',
    );
    expect(md).toContain('| replicationLagMs | steady | 10 | 3 ms | 12 ms | 20 ms |');
  });

  it('details lost writes, split brain and indeterminate writes', () => {
    const md = renderMarkdown(splitBrainReport());
    expect(md).toContain('3 of 5000 (2 acknowledged after the fault)');
    expect(md).toContain('Lost (acknowledged, missing after recovery): **3**');
    expect(md).toContain('discarded): **2**');
    expect(md).toContain('Timed out, found present: 1; found absent: 4');
    expect(md).toContain('RPO window: 40 ms');
    expect(md).toContain('| k\\|2003 | +20.030s | after fault by 30 ms |');
    expect(md).toContain('| network-partition | isolated master redis1 from sentinels | yes | +20.000s |');
  });

  it('names iterations and gives each one its RPO window in the summary table', () => {
    const report = splitBrainReport();
    report.iterations[0]!.name = 'partition';
    const md = renderMarkdown(report);
    expect(md).toMatch(/\| Iteration \| RTO \| .*\| Lost writes \| RPO window \|/);
    expect(md).toMatch(/\| 1 \(partition\) \| 28\.5 s \|.*\| 40 ms \|/);
    expect(md).toContain('### Iteration 1 (partition)');
  });

  it('gives the timeline relative to run start', () => {
    const md = renderMarkdown(passReport());
    expect(md).toContain('| +12.345s | 1 | inject | killed primary node1 (pid 4242) |');
  });

  it('states the metric definitions, RTO resolution and stable-for window', () => {
    const report = passReport();
    const md = renderMarkdown(report);
    for (const [name, text] of Object.entries(report.definitions))
      expect(md).toContain(`- **${name}**: ${text}`);
    expect(md).toContain('**RTO resolution**: 10 ms');
    expect(md).toContain('**Stable for**: 1 s');
  });

  it('explains an error run and says nothing was measured', () => {
    const md = renderMarkdown(errorReport());
    expect(md).toContain('**Verdict: ERROR** (exit code 2)');
    expect(md).toContain(
      '> **Error** `STEADY_STATE_NOT_REACHED`: steady state not reached: writes error rate 12% > 1% after 30s &lt;check>',
    );
    expect(md).toContain('No target was evaluated.');
    expect(md).toContain('No iteration ran.');
    expect(md).toContain('Iterations: 0 of 3 requested');
  });

  describe('the schedule of the probes', () => {
    it("states the primary probe's achieved rate and schedule lag, from its worst iteration", () => {
      expect(renderMarkdown(passReport())).toContain(
        '- Schedule: primary probe "writes" (every 10 ms): 99.8 of 100 ops/s achieved; schedule lag p50 0.420 ms, p99 4.40 ms, max 13.2 ms; 0 of 1600 operations (0%) more than one interval late (worst of 3 iterations: 2)',
      );
    });

    it('gives each probe of each iteration its schedule', () => {
      const md = renderMarkdown(passReport());
      expect(
        md.match(/^- Schedule: 99.8 of 100 ops\/s achieved; schedule lag p50 0.420 ms, p99 1.90 ms/gm),
      ).toHaveLength(2);
    });

    it('names the probe, the share late, the p99 lag and the interval of a probe that fell behind', () => {
      const md = renderMarkdown(behindScheduleReport());
      expect(md.split('\n')[0]).toBe('# ERROR: postgres-primary-down');
      expect(md).toMatch(
        /> \*\*Error\*\* `PROBE_BEHIND_SCHEDULE`: probe "writes" fell behind its schedule: 3.25% .* \(10 ms\) late .* in iteration 1: p99 schedule lag 38 ms/,
      );
      expect(md).toContain(
        '52 of 1600 operations (3.25%) more than one interval late, 26 of them never started',
      );
    });

    it('says when no iteration measured a schedule', () => {
      expect(renderMarkdown(errorReport())).toContain(
        '- Schedule: primary probe "writes": schedule not measured (no iteration completed)',
      );
      // A report written before schedules were measured (merge reads old report.json files).
      const old = passReport();
      for (const it of old.iterations) for (const p of it.probes) delete p.schedule;
      delete old.primaryProbe;
      expect(renderMarkdown(old)).toContain(
        '- Schedule: primary probe: schedule not measured (not in this report)',
      );
    });
  });
});
