// Acceptance: every malformed or hostile scenario, environment and targets file is rejected before
// anything starts, naming the file and the path inside it, without a stack trace, in bounded time.
// Each fixture states what it expects in its leading comments: `# expect: <path>` and, when the
// error belongs to another file, `# file: <path>`; files that cannot carry comments (binary, empty,
// a directory) are listed in fixtures/invalid/expectations.json.
//
// The fixtures are checked in-process through the functions the CLI calls (`run` loads a scenario
// with loadCheckedScenario before it starts anything, `validate` with validateFile), so the file
// stays fast; then the real CLI is spawned a few times: `validate` on every fixture at once (exit 2,
// no fixture accepted, each named) and `run` on a sample, each under a kill timer.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, HarnessError } from '../src/core/errors.js';
import { loadCheckedScenario } from '../src/scenario/check-environment.js';
import { validateFile } from '../src/scenario/validate-file.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'invalid');
/** Per fixture, in-process. Generous for a loaded 2-core machine; a hang would take forever. */
const PER_FILE_MS = 5000;
/** Two at a time: each spawn is a Node process compiling TypeScript, and CI has two cores. */
const CONCURRENCY = 2;

interface Case {
  /** Relative to the project root, as a user would pass it to the CLI. */
  file: string;
  command: 'run' | 'validate';
  expectPath: string;
  /** The file the error names (relative to the project root). */
  errorFile: string;
}

function header(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = new RegExp(`^#\\s*${key}:\\s*(.+?)\\s*$`).exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function toCase(f: string, expectPath: string, other: string | undefined): Case {
  const file = relative(ROOT, join(FIXTURES, f));
  const command = ['environment.yaml', 'targets.yaml'].includes(basename(f)) ? 'validate' : 'run';
  return {
    file,
    command,
    expectPath,
    errorFile: other ? relative(ROOT, join(FIXTURES, dirname(f), other)) : file,
  };
}

function collectCases(): Case[] {
  const listed = JSON.parse(readFileSync(join(FIXTURES, 'expectations.json'), 'utf8')) as {
    cases: Record<string, { expect: string; file?: string }>;
  };
  const cases: Case[] = Object.entries(listed.cases).map(([f, e]) => toCase(f, e.expect, e.file));
  const files = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml') && !(f in listed.cases) && statSync(join(FIXTURES, f)).isFile())
    .sort();
  for (const f of files) {
    const text = readFileSync(join(FIXTURES, f), 'utf8');
    const expectPath = header(text, 'expect');
    // Fixtures without an expectation are valid helpers (an environment a scenario points at).
    if (expectPath !== undefined) cases.push(toCase(f, expectPath, header(text, 'file')));
  }
  return cases.sort((a, b) => a.file.localeCompare(b.file));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What the CLI does with a file before it starts anything; the error text the user would see. */
async function rejection(command: Case['command'], file: string): Promise<{ error: unknown; text: string }> {
  try {
    if (command === 'run') await loadCheckedScenario(file);
    else await validateFile(file);
  } catch (error) {
    return { error, text: formatError(error) };
  }
  return { error: undefined, text: '' };
}

function expectRejected(r: { error: unknown; text: string }, errorFile: string, expectPath: string): void {
  expect(r.error, 'rejected').toBeInstanceOf(HarnessError);
  expect(r.text).toContain(errorFile);
  expect(r.text).toMatch(new RegExp(`^ {2}${escapeRegExp(expectPath)}: \\S`, 'm'));
  expect(r.text).not.toMatch(/^\s+at /m);
  expect(r.text).not.toContain('[object Object]');
}

const cases = collectCases();

describe('malformed input, in-process', () => {
  it('has at least 100 malformed or hostile files, of every kind', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
    expect(cases.filter((c) => c.command === 'run').length).toBeGreaterThanOrEqual(80);
    expect(cases.some((c) => c.file.endsWith('environment.yaml'))).toBe(true);
    expect(cases.some((c) => c.file.endsWith('targets.yaml'))).toBe(true);
  });

  it.each(cases.map((c) => [c.file, c] as const))(
    '%s is rejected naming the file and the field',
    async (_name, c) => {
      const t0 = performance.now();
      const r = await rejection(c.command, join(ROOT, c.file));
      expectRejected(r, c.errorFile, c.expectPath);
      expect(performance.now() - t0).toBeLessThan(PER_FILE_MS);
      // `validate` reads a scenario exactly as `run` does: the same verdict, word for word.
      if (c.command === 'run') expect((await rejection('validate', join(ROOT, c.file))).text).toBe(r.text);
    },
    PER_FILE_MS * 3,
  );
});

describe('hostile files made at test time', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'invalid-input-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file over 1 MiB is refused by its size, before it is parsed', async () => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `environment: http-service\ndescription: "${'x'.repeat(2 * 1024 * 1024)}"\n`);
    const t0 = performance.now();
    const r = await rejection('run', file);
    expectRejected(r, file, '(document)');
    expect(r.text).toMatch(/is 2097\d+ bytes; expected a YAML file of at most 1048576 bytes/);
    expect(performance.now() - t0).toBeLessThan(PER_FILE_MS);
  });

  it('a device is refused without reading it (reading /dev/zero never ends)', async () => {
    const r = await rejection('run', '/dev/zero');
    expectRejected(r, '/dev/zero', '(document)');
    expect(r.text).toMatch(/not a regular file/);
  });
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCli(args: readonly string[], timeoutMs = 30_000): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Through the real CLI: one per kind of rejection, the `--out` checks, and `validate` on all. */
const RUN_SAMPLE = [
  'at-1e12.yaml',
  'rate-1e9.yaml',
  'bluegreen-typo-slowMS.yaml',
  'network-partition-on-http-service.yaml',
  'lost-writes-on-http-probe.yaml',
  'yaml-alias-bomb.yaml',
  'a-directory.yaml',
  'binary.yaml',
].map((f) => cases.find((c) => c.file.endsWith(`invalid/${f}`)) as Case);

const OUT_CASES: [string, RegExp][] = [
  ['/proc/chaos-out', /--out \/proc\/chaos-out is under \/proc, a virtual file system/],
  ['/sys/chaos-out', /--out \/sys\/chaos-out is under \/sys/],
  ['package.json', /--out \S+package\.json exists and is not a directory/],
  ['package.json/out', /--out \S+package\.json\/out cannot be created: \S+package\.json is not a directory/],
];

describe('the CLI', () => {
  const outcomes = new Map<string, Outcome>();
  beforeAll(async () => {
    const jobs: [string, string[]][] = [
      ['validate-all', ['validate', ...cases.map((c) => c.file)]],
      ...RUN_SAMPLE.map((c): [string, string[]] => [`run ${c.file}`, ['run', c.file]]),
      ...OUT_CASES.map(([out]): [string, string[]] => [
        `out ${out}`,
        ['run', 'http-service-crash', '--out', out],
      ]),
    ];
    const results = await mapLimited(jobs, CONCURRENCY, ([, args]) => runCli(args));
    for (const [i, [key]] of jobs.entries()) outcomes.set(key, results[i] as Outcome);
  }, 120_000);

  const noStart = (o: Outcome) => {
    const detail = `stderr:\n${o.stderr}\nstdout:\n${o.stdout}`;
    expect(o.code, detail).toBe(2);
    expect(o.stderr, detail).not.toMatch(/^\s+at /m);
    expect(o.stdout, detail).not.toMatch(/bringing up|phase:/);
    expect(o.ms, 'bounded time').toBeLessThan(30_000);
  };

  it('validate rejects every fixture, names each, exits 2 and prints no stack trace', () => {
    const o = outcomes.get('validate-all') as Outcome;
    noStart(o);
    expect(o.stdout).not.toMatch(/: valid /);
    for (const c of cases) expect(o.stderr, c.file).toContain(c.errorFile);
  });

  it.each(RUN_SAMPLE.map((c) => [c.file, c] as const))('run %s exits 2 before anything starts', (_f, c) => {
    const o = outcomes.get(`run ${c.file}`) as Outcome;
    noStart(o);
    expect(o.stderr).toContain(c.errorFile);
    expect(o.stderr).toMatch(new RegExp(`^ {2}${escapeRegExp(c.expectPath)}: `, 'm'));
  });

  it.each(OUT_CASES)('run --out %s exits 2 at once, naming it', (out, message) => {
    const o = outcomes.get(`out ${out}`) as Outcome;
    noStart(o);
    expect(o.stderr).toMatch(message);
    expect(o.stderr).toMatch(/\[OUTPUT_DIR_UNUSABLE\]$/m);
  });
});
