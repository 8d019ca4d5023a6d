import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyLine } from './fixtures/records.js';
import { readHistory } from './read.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-read-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readHistory', () => {
  it('gives no records for a file that does not exist yet', () => {
    expect(readHistory(join(dir, 'none.jsonl'))).toEqual([]);
  });

  it('skips corrupt lines with a warning naming the file and the line, and reads the rest', () => {
    const file = join(dir, 'mixed.jsonl');
    const good = (id: string) => JSON.stringify(historyLine({ runId: id }));
    writeFileSync(
      file,
      [
        good('first'),
        '{"schemaVersion":1,"runId":"cut-off","scen',
        '',
        JSON.stringify({ schemaVersion: 1, runId: 'no-scenario' }),
        JSON.stringify({ ...historyLine(), schemaVersion: 2 }),
        'garbage',
        good('last'),
        '',
      ].join('\n'),
    );
    const skipped: string[] = [];
    const records = readHistory(file, { onSkip: (m) => skipped.push(m) });
    expect(records.map((r) => r.runId)).toEqual(['first', 'last']);
    expect(skipped).toEqual([
      expect.stringMatching(/^.*mixed\.jsonl:2: skipped: not JSON/),
      expect.stringMatching(/^.*mixed\.jsonl:4: skipped: not a history record \(scenario: /),
      expect.stringMatching(/^.*mixed\.jsonl:5: skipped: not a history record \(schemaVersion: /),
      expect.stringMatching(/^.*mixed\.jsonl:6: skipped: not JSON \(garbage\)/),
    ]);
  });

  it('keeps fields a newer harness added to a record', () => {
    const file = join(dir, 'newer.jsonl');
    writeFileSync(file, `${JSON.stringify({ ...historyLine({ runId: 'n' }), extra: { a: 1 } })}\n`);
    expect(readHistory(file)[0]).toMatchObject({ runId: 'n', extra: { a: 1 } });
  });

  it('refuses a path that is not a file, naming it', () => {
    expect(() => readHistory(dir)).toThrow(/history .*history-read-.*: cannot read it: not a regular file/);
  });
});
