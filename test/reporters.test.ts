// `--reporter` through the real CLI with real runs: a custom reporter loaded by path gets every hook
// in order, `--reporter json` writes report.json and nothing else, a throwing reporter is named and
// the run still tears down, and a bad name is refused before anything starts.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/scenario/load.js';

const exec = promisify(execFile);
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'reporters-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RECORDER = 'test/fixtures/reporters/record-hooks.mjs';
const THROWS = 'test/fixtures/reporters/throws.mjs';

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await exec(process.execPath, ['bin/chaos-harness.js', ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The recorded hook lines, with runs of onStatus collapsed to one. */
function hooks(file: string): string[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.filter((l, i) => !(l.startsWith('onStatus') && lines[i - 1]?.startsWith('onStatus')));
}

describe('--reporter', () => {
  it('gives a custom reporter every hook in order; json alone writes report.json only', async () => {
    const out = join(root, 'run');
    const record = join(root, 'run-hooks.txt');
    const r = await cli(
      ['run', 'http-service-crash', '--reporter', 'json', '--reporter', `./${RECORDER}`, '--out', out],
      { RECORD_HOOKS_FILE: record },
    );
    expect(r.code, r.stderr).toBe(0);
    // No console reporter: nothing on stdout.
    expect(r.stdout).toBe('');
    expect(readdirSync(out).sort()).toEqual(['api.log', 'report.json']);
    const h = hooks(record);
    expect(h[0]).toBe('onRunStart http-service-crash run local -');
    expect(h.slice(-2)).toEqual(['onRunEnd http-service-crash pass run', 'onRunReported report.json']);
    const phases = h.filter((l) => l.startsWith('onPhase')).map((l) => l.slice('onPhase '.length));
    expect(phases).toEqual(['bring-up', 'steady', 'inject', 'recover', 'observe', 'verify', 'teardown']);
    // Each phase reaches onPhase, then onEvent; the last event (torn down) comes before onRunEnd.
    expect(h[h.indexOf('onPhase inject') + 1]).toBe('onEvent phase');
    expect(h.at(-3)).toBe('onEvent done');
    expect(h.filter((l) => l.startsWith('onStatus')).length).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.events.length).toBe(h.filter((l) => l.startsWith('onEvent')).length);
  });

  it('gives a suite its hooks around each run, and junit alone writes only junit files', async () => {
    const out = join(root, 'suite');
    const record = join(root, 'suite-hooks.txt');
    const r = await cli(
      ['suite', '--tag', 'smoke', '--reporter', 'junit', '--reporter', RECORDER, '--out', out],
      { RECORD_HOOKS_FILE: record },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const h = hooks(record).filter((l) => /^on(Suite|Run)/.test(l));
    expect(h).toEqual([
      'onSuiteStart 2/2 -',
      'onRunStart http-service-crash http-service-crash local 0',
      'onRunEnd http-service-crash pass http-service-crash',
      'onRunReported junit.xml',
      'onRunStart http-service-ignored-signal http-service-ignored-signal local 1',
      'onRunEnd http-service-ignored-signal inconclusive http-service-ignored-signal',
      'onRunReported junit.xml',
      'onSuiteEnd 2 0',
      'onSuiteReported junit.xml',
    ]);
    expect(readdirSync(out).sort()).toEqual([
      'http-service-crash',
      'http-service-ignored-signal',
      'junit.xml',
    ]);
    expect(existsSync(join(out, 'http-service-crash', 'report.json'))).toBe(false);
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(2);
  });

  it('names a reporter that throws, still tears down and writes the other reports, and exits 2', async () => {
    const out = join(root, 'throws');
    const r = await cli([
      'run',
      'http-service-crash',
      '--reporter',
      'console',
      '--reporter',
      THROWS,
      '--reporter',
      'json',
      '--out',
      out,
    ]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toContain(`reporter ${THROWS}: onPhase failed: boom in onPhase`);
    expect(r.stderr).toMatch(
      new RegExp(
        `error: 2 reporter hooks failed: ${THROWS} onPhase: boom in onPhase; ${THROWS} onRunEnd: boom in onRunEnd`,
      ),
    );
    // The console saw the whole run, teardown included, and printed its summary.
    expect(r.stdout).toContain('done: torn down: no process of this run is left');
    expect(r.stdout).toContain('PASS  http-service-crash  (exit code 0)');
    expect(r.stdout).toContain(`Reports\n  ${join(out, 'report.json')}\n`);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).verdict).toBe('pass');
  });

  it('refuses an unknown name before anything starts, naming the choices', async () => {
    const out = join(root, 'unknown');
    const r = await cli(['run', 'http-service-crash', '--reporter', 'htm', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no reporter named "htm"; expected one of console, json, markdown, junit');
    expect(existsSync(out)).toBe(false);
    const missing = await cli(['suite', '--tag', 'smoke', '--reporter', './no-such-reporter.mjs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--reporter ./no-such-reporter.mjs: no such file ${PROJECT_ROOT}`);
    expect(missing.stdout).toBe('');
  });
});
