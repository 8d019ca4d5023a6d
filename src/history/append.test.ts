import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendHistory, PIPE_BUF } from './append.js';
import { historyLine } from './fixtures/records.js';
import { readHistory } from './read.js';

const exec = promisify(execFile);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-append-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noSkips = (file: string) => {
  const skipped: string[] = [];
  const records = readHistory(file, { onSkip: (m) => skipped.push(m) });
  return { records, skipped };
};

/** A record whose line is longer than PIPE_BUF: it goes out under the lock file. */
const longLine = (runId: string) =>
  historyLine({
    runId,
    targets: Array.from({ length: 80 }, (_, i) => ({ metric: `series-max:s${i}`, measured: i, pass: true })),
  });

describe('appendHistory', () => {
  it('appends one line per run, creating the folder', () => {
    const file = join(dir, 'new', 'deeper', 'history.jsonl');
    appendHistory(file, historyLine({ runId: 'a' }));
    appendHistory(file, historyLine({ runId: 'b' }));
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(noSkips(file)).toEqual({
      records: [expect.objectContaining({ runId: 'a' }), expect.objectContaining({ runId: 'b' })],
      skipped: [],
    });
  });

  it('starts a line of its own after a last line left without its newline', () => {
    const file = join(dir, 'torn.jsonl');
    writeFileSync(file, `${JSON.stringify(historyLine({ runId: 'x' })).slice(0, 40)}`);
    appendHistory(file, historyLine({ runId: 'after' }));
    const skipped: string[] = [];
    expect(readHistory(file, { onSkip: (m) => skipped.push(m) }).map((r) => r.runId)).toEqual(['after']);
    expect(skipped).toEqual([expect.stringMatching(/torn\.jsonl:1: skipped: not JSON/)]);
  });

  it('writes a line longer than PIPE_BUF under a lock it removes afterwards', () => {
    const file = join(dir, 'long.jsonl');
    const r = longLine('long');
    expect(JSON.stringify(r).length).toBeGreaterThan(PIPE_BUF);
    appendHistory(file, r);
    expect(noSkips(file).records.map((x) => x.runId)).toEqual(['long']);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('loses and mixes no line when several processes append at the same time', async () => {
    const file = join(dir, 'concurrent.jsonl');
    const script = join(dir, 'writer.ts');
    // Each writer appends short lines and, every fifth, one past PIPE_BUF.
    writeFileSync(
      script,
      `import { appendHistory } from ${JSON.stringify(join(import.meta.dirname, 'append.ts'))};
import { historyLine } from ${JSON.stringify(join(import.meta.dirname, 'fixtures', 'records.ts'))};
const [file, who] = process.argv.slice(2);
for (let i = 0; i < 40; i++) {
  const runId = \`\${who}-\${i}\`;
  appendHistory(file, i % 5 === 0
    ? historyLine({ runId, targets: Array.from({ length: 80 }, (_, k) => ({ metric: \`series-max:s\${k}\`, measured: k, pass: true })) })
    : historyLine({ runId }));
}
`,
    );
    const writers = ['w1', 'w2', 'w3', 'w4'];
    await Promise.all(writers.map((w) => exec(process.execPath, ['--import', 'tsx', script, file, w])));
    const { records, skipped } = noSkips(file);
    expect(skipped).toEqual([]);
    expect(records).toHaveLength(160);
    for (const w of writers)
      expect(records.filter((r) => r.runId.startsWith(`${w}-`)).map((r) => r.runId)).toEqual(
        Array.from({ length: 40 }, (_, i) => `${w}-${i}`),
      );
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('names the file when it cannot append', () => {
    const file = join(dir, 'is-a-dir');
    appendHistory(join(file, 'x.jsonl'), historyLine());
    expect(() => appendHistory(file, historyLine())).toThrow(/history .*is-a-dir: cannot append the run/);
  });
});
