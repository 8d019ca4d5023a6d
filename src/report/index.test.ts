import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ReportWriteError } from '../core/errors.js';
import { passReport } from './fixtures/run-reports.js';
import { builtinReportWriters, renderJson, writeReports } from './index.js';

describe('writeReports', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates the directory and writes report.json, report.md, junit.xml and report.html', async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-writers-'));
    const target = join(dir, 'nested', 'run');
    const report = passReport();
    const paths = await writeReports(report, target);
    expect(paths).toEqual(
      ['report.json', 'report.md', 'junit.xml', 'report.html'].map((f) => join(target, f)),
    );
    expect(await readFile(join(target, 'report.json'), 'utf8')).toBe(renderJson(report));
    expect(await readFile(join(target, 'report.md'), 'utf8')).toMatch(/^# PASS: postgres-primary-down/);
    expect(await readFile(join(target, 'junit.xml'), 'utf8')).toContain(
      '<testsuite name="postgres-primary-down"',
    );
    expect(await readFile(join(target, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('writes every file it can, leaves no partial file, and names the ones that failed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-writers-'));
    // report.json cannot be written where a directory of that name is.
    await mkdir(join(dir, 'report.json'));
    const err = await writeReports(passReport(), dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReportWriteError);
    const e = err as ReportWriteError;
    expect(e.failed.map((f) => f.path)).toEqual([join(dir, 'report.json')]);
    expect(e.failed[0]?.message).toMatch(/EISDIR/);
    expect(e.written).toEqual([join(dir, 'report.md'), join(dir, 'junit.xml'), join(dir, 'report.html')]);
    expect(e.message).toContain(join(dir, 'report.json'));
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
  });

  it('names each built-in format by the file it writes', () => {
    expect(Object.fromEntries(Object.entries(builtinReportWriters).map(([k, w]) => [k, w.file]))).toEqual({
      json: 'report.json',
      markdown: 'report.md',
      junit: 'junit.xml',
      html: 'report.html',
    });
  });
});
