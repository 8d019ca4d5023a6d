import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReporterError, ReportWriteError } from '../core/errors.js';
import type { RunEvent } from '../core/types.js';
import type { LoadedScenario } from '../scenario/load.js';
import { passReport } from './fixtures/run-reports.js';
import { builtinReporters, renderJson } from './index.js';
import type { FileReporter, Reporter } from './reporter.js';
import { type ReporterFailure, ReporterSet } from './reporter-set.js';

const scenario = { name: 'postgres-primary-down' } as LoadedScenario;
const start = { runId: 'r1', runDir: '/tmp/x', provider: 'local' as const };
const phase = (p: string, tMs: number): RunEvent => ({ tMs, type: 'phase', message: p, data: { phase: p } });
const log = (tMs: number): RunEvent => ({ tMs, type: 'log', message: 'hello' });
const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('ReporterSet', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('delivers each reporter its hooks in call order, even when they are async', async () => {
    const calls: string[] = [];
    const slow: Reporter = {
      async onRunStart() {
        await tick();
        calls.push('start');
      },
      onPhase(p) {
        calls.push(`phase ${p}`);
      },
      async onEvent(e) {
        await tick();
        calls.push(`event ${e.type}`);
      },
      onRunEnd() {
        calls.push('end');
        return ['/tmp/x/extra.txt'];
      },
      onRunReported(_r, files) {
        calls.push(`reported ${files.join(',')}`);
      },
    };
    const set = new ReporterSet([{ name: 'slow', reporter: slow }]);
    set.runStart(scenario, start);
    set.sink.event(phase('steady', 1));
    set.sink.event(log(2));
    // Nothing waits for the reporter: the run goes on while its hooks are pending.
    expect(calls).toEqual([]);
    const files = await set.runEnd(passReport(), '/tmp/x');
    expect(calls).toEqual([
      'start',
      'phase steady',
      'event phase',
      'event log',
      'end',
      'reported /tmp/x/extra.txt',
    ]);
    expect(files).toEqual(['/tmp/x/extra.txt']);
    expect(set.error()).toBeUndefined();
  });

  it('reports a throwing hook at once, skips its live hooks for the run, and still ends the run', async () => {
    const failures: ReporterFailure[] = [];
    const seen: string[] = [];
    const bad: Reporter = {
      onEvent(e) {
        seen.push(e.type);
        throw new Error('cannot draw');
      },
      onRunEnd: async () => {
        throw new Error('disk says no');
      },
    };
    const good: Reporter = { onEvent: (e) => void seen.push(`good ${e.type}`) };
    const set = new ReporterSet(
      [
        { name: './bad.mjs', reporter: bad },
        { name: 'good', reporter: good },
      ],
      (f) => failures.push(f),
    );
    set.runStart(scenario, start);
    set.sink.event(log(1));
    set.sink.event(log(2));
    await set.runEnd(passReport(), '/tmp/x');
    expect(seen).toEqual(['log', 'good log', 'good log']);
    expect(failures).toEqual([
      { reporter: './bad.mjs', hook: 'onEvent', message: 'cannot draw' },
      { reporter: './bad.mjs', hook: 'onRunEnd', message: 'disk says no' },
    ]);
    const err = set.error();
    expect(err).toBeInstanceOf(ReporterError);
    expect(err?.code).toBe('REPORTER_FAILED');
    expect(err?.message).toBe(
      '2 reporter hooks failed: ./bad.mjs onEvent: cannot draw; ./bad.mjs onRunEnd: disk says no',
    );
  });

  it('writes the file reporters together and lists their files in reporter order', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reporter-set-'));
    const report = passReport();
    const set = new ReporterSet([
      { name: 'junit', reporter: builtinReporters.junit() },
      { name: 'json', reporter: builtinReporters.json() },
    ]);
    const files = await set.runEnd(report, dir);
    expect(files).toEqual([join(dir, 'junit.xml'), join(dir, 'report.json')]);
    expect(await readFile(join(dir, 'report.json'), 'utf8')).toBe(renderJson(report));
  });

  it('throws the ReportWriteError after onRunReported, which is told what was written', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reporter-set-'));
    await mkdir(join(dir, 'report.json'));
    let told: readonly string[] | undefined;
    const set = new ReporterSet([
      { name: 'json', reporter: builtinReporters.json() },
      { name: 'markdown', reporter: builtinReporters.markdown() },
      {
        name: 'listener',
        reporter: {
          onRunReported(_r, files) {
            told = files;
          },
        },
      },
    ]);
    const err = await set.runEnd(passReport(), dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReportWriteError);
    expect(told).toEqual([join(dir, 'report.md')]);
    expect((await readdir(dir)).sort()).toEqual(['report.json', 'report.md']);
    expect(set.error()).toBeUndefined();
  });

  it('writes no file of any format when one of them fails to render', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reporter-set-'));
    const broken: FileReporter = {
      renderRun: () => {
        throw new Error('formatter bug');
      },
    };
    const set = new ReporterSet([
      { name: 'json', reporter: builtinReporters.json() },
      { name: './broken.mjs', reporter: broken },
    ]);
    expect(await set.runEnd(passReport(), dir)).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
    expect(set.error()?.message).toBe('a reporter failed: ./broken.mjs renderRun: formatter bug');
  });
});
