// The history file of one invocation (`--history PATH`, default runs/history.jsonl): checked before
// anything starts, read before each run for its baseline, appended to after each run.

import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HarnessError } from '../core/errors.js';
import type { HistoryContext } from '../core/relative-bound.js';
import type { RunReport } from '../core/report-model.js';
import { sha256 } from '../core/run/facts.js';
import { appendHistory } from './append.js';
import { compareWithHistory, DEFAULT_BASELINE_RUNS } from './baseline.js';
import { readHistory } from './read.js';
import { historyRecordOf } from './record.js';

export const DEFAULT_HISTORY_FILE = 'runs/history.jsonl';

/** Without --history: $CHAOS_HARNESS_HISTORY, else runs/history.jsonl in the working directory. */
export function defaultHistoryFile(): string {
  return process.env.CHAOS_HARNESS_HISTORY || DEFAULT_HISTORY_FILE;
}

export class RunHistoryFile {
  readonly file: string;

  constructor(
    file: string,
    readonly baselineRuns = DEFAULT_BASELINE_RUNS,
    private readonly onSkip?: (message: string) => void,
  ) {
    this.file = resolve(file);
  }

  /** Before anything starts: the file can be created or appended to. */
  check(): void {
    try {
      if (existsSync(this.file) && !statSync(this.file).isFile()) throw new Error('not a regular file');
      mkdirSync(dirname(this.file), { recursive: true });
      closeSync(openSync(this.file, 'a'));
    } catch (err) {
      throw new HarnessError(
        'OUTPUT_DIR_UNUSABLE',
        `--history ${this.file}: cannot append to it: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** The previous run and the baseline of a scenario (its file's hash tells versions apart). */
  compare(scenario: { name: string; file: string }, provider: string): HistoryContext {
    const records = readHistory(this.file, this.onSkip ? { onSkip: this.onSkip } : {});
    return compareWithHistory(records, {
      file: this.file,
      scenario: scenario.name,
      provider,
      sha256: sha256(scenario.file),
      baselineRuns: this.baselineRuns,
    });
  }

  /** Appends the run; throws a HarnessError naming the file when it cannot. */
  record(report: RunReport): void {
    appendHistory(this.file, historyRecordOf(report));
  }
}
