// The run history: one JSON line per run (src/history/record.ts), baselines and trend points.

export { appendHistory, PIPE_BUF } from './append.js';
export {
  compareWithHistory,
  countsForBaseline,
  DEFAULT_BASELINE_RUNS,
  type HistoryQuery,
  valueIn,
} from './baseline.js';
export { type ReadHistoryOptions, readHistory } from './read.js';
export { HISTORY_SCHEMA_VERSION, type HistoryRecord, historyRecord, historyRecordOf } from './record.js';
export { DEFAULT_HISTORY_FILE, defaultHistoryFile, RunHistoryFile } from './run-history.js';
export { type TrendPoint, trendPoints } from './trend.js';
