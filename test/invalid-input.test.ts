// Acceptance: every malformed scenario, environment and targets file is rejected by the real CLI with exit
// code 2, the file and the path inside it, and no stack trace. Each fixture states what it expects in
// its leading comments: `# expect: <path>` and, when the error belongs to another file, `# file: <path>`.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'invalid');
// Two at a time: each spawn is a Node process compiling TypeScript, and CI has two cores.
const CONCURRENCY = 2;

interface Case {
  /** Relative to the project root, as passed to the CLI. */
  file: string;
  command: 'run' | 'validate';
  expectPath: string;
  /** The file the error names (relative to the project root). */
  errorFile: string;
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function header(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) break;
    const m = new RegExp(`^#\\s*${key}:\\s*(.+?)\\s*$`).exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function collectCases(): Case[] {
  const files = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const cases: Case[] = [];
  for (const f of files) {
    const text = readFileSync(join(FIXTURES, f), 'utf8');
    const expectPath = header(text, 'expect');
    // Fixtures without an expectation are valid helpers (an environment a scenario points at).
    if (expectPath === undefined) continue;
    const file = relative(ROOT, join(FIXTURES, f));
    const other = header(text, 'file');
    const command = ['environment.yaml', 'targets.yaml'].includes(basename(f)) ? 'validate' : 'run';
    cases.push({
      file,
      command,
      expectPath,
      errorFile: other ? relative(ROOT, join(FIXTURES, dirname(f), other)) : file,
    });
  }
  return cases;
}

function runCli(args: readonly string[]): Promise<Outcome> {
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const cases = collectCases();
const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  const results = await mapLimited(cases, CONCURRENCY, (c) => runCli([c.command, c.file]));
  for (const [i, c] of cases.entries()) outcomes.set(c.file, results[i] as Outcome);
}, 120_000);

describe('malformed input', () => {
  it('has at least 20 malformed scenario, environment and targets files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(cases.some((c) => c.command === 'run')).toBe(true);
    expect(cases.some((c) => c.file.endsWith('environment.yaml'))).toBe(true);
    expect(cases.some((c) => c.file.endsWith('targets.yaml'))).toBe(true);
  });

  it.each(cases.map((c) => [c.file, c] as const))(
    '%s exits 2 naming the file and the field, without a stack trace',
    (_name, c) => {
      const r = outcomes.get(c.file);
      expect(r, 'the CLI ran').toBeDefined();
      const { code, stdout, stderr } = r as Outcome;
      const detail = `stderr:\n${stderr}\nstdout:\n${stdout}`;
      expect(code, detail).toBe(2);
      expect(stderr, detail).toContain(c.errorFile);
      expect(stderr, detail).toMatch(new RegExp(`^ {2}${escapeRegExp(c.expectPath)}: `, 'm'));
      expect(stderr, detail).not.toMatch(/^\s+at /m);
      // Rejected at load time: nothing was brought up.
      expect(stdout, detail).not.toMatch(/bringing up|phase:/);
    },
  );
});
