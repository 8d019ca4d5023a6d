// Reading the run history. A line that is not a record (cut short, edited by hand, from another tool)
// is skipped with a warning naming the file and the line; it never stops a run.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { type HistoryRecord, historyRecord } from './record.js';

export interface ReadHistoryOptions {
  /** Told about each skipped line (default: a warning on stderr). */
  onSkip?: (message: string) => void;
}

const warnOnStderr = (message: string) => process.stderr.write(`warning: ${message}\n`);

/** Every record in the file, in the order they were appended; [] when the file does not exist. */
export function readHistory(file: string, opts: ReadHistoryOptions = {}): HistoryRecord[] {
  const onSkip = opts.onSkip ?? warnOnStderr;
  if (!existsSync(file)) return [];
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HarnessError('IO_ERROR', `history ${file}: cannot read it: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const out: HistoryRecord[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      onSkip(`${file}:${i + 1}: skipped: not JSON (${line.length > 60 ? `${line.slice(0, 60)}…` : line})`);
      continue;
    }
    const r = historyRecord.safeParse(value);
    if (r.success) {
      out.push(r.data);
      continue;
    }
    const issue = r.error.issues[0];
    onSkip(
      `${file}:${i + 1}: skipped: not a history record (${issue ? `${issue.path.join('.') || 'line'}: ${issue.message}` : 'invalid'})`,
    );
  }
  return out;
}
