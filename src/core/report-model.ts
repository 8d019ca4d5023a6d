// The data of a finished run. Measurement fills it; report writers only format it.

import type { RecoveryStep, RestoreVerification, RunEvent } from './types.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';
export type PhaseName = 'steady' | 'fault' | 'recovered';
export const PHASES: readonly PhaseName[] = ['steady', 'fault', 'recovered'];

export interface LatencySummary {
  /** Operations that started in the phase. */
  count: number;
  ok: number;
  failed: number;
  /** Timed out: effect unknown. */
  unknown: number;
  /** (failed + unknown) / count; 0 when count is 0. */
  errorRate: number;
  /** Latency of successful operations, from an HDR histogram (ms, 3 significant digits). null when none. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Length of the phase in ms. */
  durationMs: number;
}

export interface RtoResult {
  /** t_recovered - t_inject; null when the probe never recovered before the recovery timeout. */
  rtoMs: number | null;
  /** Start of the first op of the stable run of successes (monotonic ms), or null. */
  recoveredAtMs: number | null;
  /** Did any operation fail or time out after t_inject? */
  impact: boolean;
  /** Start of the first failed/timed-out op after t_inject (a detection proxy), or null. */
  firstFailureMs: number | null;
  /** End of the last failed/timed-out op after t_inject, or null. */
  lastFailureMs: number | null;
  /** Failed + unknown ops after t_inject. */
  failedOps: number;
}

export interface RpoResult {
  /** Writes acknowledged (outcome ok). */
  acknowledged: number;
  /** Acknowledged and missing after recovery. */
  lost: number;
  /** Up to 50 lost keys with their ack times (monotonic ms), oldest first. */
  lostSample: { key: string; ackMs: number }[];
  /** Lost writes acknowledged after t_inject (split brain, or writes to a damaged store discarded by a restore). */
  lostAfterInject: number;
  /** Timed-out writes found present / absent (indeterminate, never counted as lost). */
  unknownPresent: number;
  unknownAbsent: number;
  /**
   * Window of acknowledged data lost: max(t_inject, newest lost ack) - oldest lost ack.
   * 0 when nothing acknowledged was lost.
   */
  rpoMs: number;
}

// ---- What a probe had under way when the fault landed (service-crash-restart) ---------------
// Kept in this block so other additions to ProbeIterationResult merge without touching it.

export interface AtFault {
  /** The window the fault landed in: injection start and t_inject (monotonic ms). */
  injectStartMs: number;
  tInjectMs: number;
  /** Operations started before injectStartMs and ended after tInjectMs: in flight at the fault. */
  inFlight: number;
  /** Of those: acknowledged, failed, timed out or cut off (unknown). */
  ok: number;
  failed: number;
  unknown: number;
  /** Write probes: of the acknowledged ones, missing on read-back. */
  okLost?: number;
  /** Operations acknowledged in the `recentWindowMs` before injection started, and how many of those were lost. */
  recentWindowMs: number;
  recentAcks: number;
  recentAcksLost?: number;
}

export interface ProbeIterationResult {
  atFault?: AtFault;
}

// ---- Schedule of an open-loop probe (coordinated omission; issue 17 item 3) -----------------
// How well the probe kept its own schedule: the harness's lag, never the system's latency. Kept
// together in this block so other additions to these interfaces merge without touching it.

export interface ProbeSchedule {
  /** 1000 / interval. */
  requestedPerSec: number;
  /** Operations started per second, from the probe's first slot to the end of the iteration. */
  achievedPerSec: number;
  /** Slots due from the first one to one interval before the end (each should have started an op). */
  scheduled: number;
  /** Operations started in that window. */
  issued: number;
  /** Due slots that never started an op (skipped by a scheduler far behind, or not reached before the end). */
  missed: number;
  /**
   * How far an op's start trailed its slot (ms), over every due slot; a missed slot counts with the
   * lag it would have had (until the next op started, or the end). null when the kind keeps its own
   * schedule and records no slots (http-load).
   */
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  lagMaxMs: number | null;
  /** Slots whose op started more than one interval (and at least LATE_FLOOR_MS) late, or never started. */
  late: number;
  /** late / scheduled; 0 when nothing was scheduled. */
  lateShare: number;
}

/** The schedule fields of ProbeIterationResult (merged into it below). */
export interface ProbeScheduleFields {
  /** Absent in reports written before schedules were measured. */
  schedule?: ProbeSchedule;
}

/** The schedule fields of RunReport (merged into it below). */
export interface RunScheduleFields {
  /** The scenario's primary probe, whose schedule every report states. Absent in older reports. */
  primaryProbe?: string;
}
// ---- end of the schedule block ------------------------------------------------------------

export interface ProbeIterationResult extends ProbeScheduleFields {
  probe: string;
  kind: string;
  intervalMs: number;
  timeoutMs: number;
  phases: Record<PhaseName, LatencySummary>;
  rto: RtoResult;
  rpo?: RpoResult;
  /** Per-phase summaries of extra sample series (e.g. replication lag): p50/p95/max. */
  series?: Record<
    string,
    Record<PhaseName, { count: number; p50: number | null; p95: number | null; max: number | null }>
  >;
  summary?: Record<string, unknown>;
}

export interface FaultRecord {
  kind: string;
  description: string;
  reversible: boolean;
  injectedAtMs: number;
  details: Record<string, unknown>;
}

export interface IterationResult {
  index: number;
  /** The scenario's name for the iteration (`iterations[].name`), if it gave one. */
  name?: string;
  tInjectMs: number;
  /** From the primary probe. */
  rtoMs: number | null;
  recoveredAtMs: number | null;
  impact: boolean;
  /** Time from t_inject to detection when the stack reports it, else null. */
  mttdMs: number | null;
  faults: FaultRecord[];
  recovery: {
    mode: 'automatic' | 'action';
    action?: string;
    steps: RecoveryStep[];
    details?: Record<string, unknown>;
    verification?: RestoreVerification;
  };
  probes: ProbeIterationResult[];
  error?: string;
}

export type MetricUnit = 'ms' | 'count' | 'ratio';

export interface TargetResult {
  metric: string;
  probe?: string;
  phase?: PhaseName;
  unit: MetricUnit;
  /** The absolute bound; null when the target has only a relative one (`regression`). */
  bound: number | null;
  /** Bound as the user wrote it, e.g. "5m"; "" when it has none. */
  boundText: string;
  /** null when it could not be measured (e.g. never recovered). */
  measured: number | null;
  measuredText: string;
  verdict: Verdict;
  pass: boolean;
  source: string;
  note?: string;
}

/** How the run compares with what its scenario declared it is meant to show (`expect:`). */
export interface ExpectationResult {
  verdict: 'pass' | 'fail' | 'inconclusive';
  failing?: string[];
  met: boolean;
  outcome:
    | 'as-expected'
    | 'failed-for-another-reason'
    | 'expected-to-fail-but-passed'
    | 'unexpected-verdict'
    | 'error';
  message: string;
}

export interface MttrResult {
  n: number;
  meanMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** What an auditor asks besides the measurements (see src/core/run/facts.ts). */
export interface RunFacts {
  harness: { name: string; version: string; commit: string | null; root: string };
  runId: string;
  operator: string;
  scenario: { file: string; dir: string; sha256: string | null };
  provider: string;
  environmentOptions: Record<string, unknown>;
  host: {
    hostname: string;
    os: string;
    kernel: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    memoryMiB: number;
    /** 1, 5 and 15 minute load averages when the run started and when it ended. */
    loadAverageStart: [number, number, number];
    loadAverageEnd: [number, number, number];
    /**
     * How busy the host's CPUs were while the run went (every process on the machine, not only the
     * run's): the mean over the run and the busiest second, in percent of all CPUs.
     */
    cpuBusy?: { meanPct: number; maxPct: number; seconds: number };
  };
  /** When the run was one of a suite that ran several at once (`suite --jobs`). */
  suite?: {
    jobs: number;
    /** The suite's other runs this one overlapped, and for how long, longest first. */
    alongside: { name: string; overlapMs: number }[];
  };
  /** Server and runtime versions, as read from the binaries the run used (`node` is the harness's). */
  versions: Record<string, string>;
}

export interface RunReport extends RunScheduleFields {
  schemaVersion: 1;
  tool: { name: string; version: string };
  scenario: { name: string; file: string; description?: string };
  environment: { name: string; provider: string; info: Record<string, unknown> };
  facts: RunFacts;
  verdict: Verdict;
  /** 0 when the run behaved as intended (see `expectation`), 1 when not, 2 when it could not measure. */
  exitCode: 0 | 1 | 2;
  /** Present when the scenario declared what it is meant to show. */
  expectation?: ExpectationResult;
  /** Why the run is `error` (or a note on `inconclusive`). */
  error?: { code: string; message: string };
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  /** RTO resolution. */
  probeIntervalMs: number;
  stableForMs: number;
  repeat: number;
  iterations: IterationResult[];
  mttr: MttrResult | null;
  targets: TargetResult[];
  events: RunEvent[];
  /** The metric definitions used, in words, for readers of the report. */
  definitions: Record<string, string>;
  runDir: string;
}

// ---- Timelines for the charts of report.html (issue 14 item 1) ----------------------------------
// Kept in this one block, merged into the interfaces above by declaration merging, so additions by
// other work to those interfaces never touch the same lines. Every field is optional: reports
// written before it (and read back by `merge`) have none.

/**
 * A probe's operations in fixed buckets over its iteration, as parallel arrays (one element per
 * bucket) so report.json stays small. Bucket i covers [startMs + i * bucketMs, + bucketMs), the
 * last one ending at endMs; an operation counts in the bucket it started in.
 */
export interface ProbeTimeline {
  /** The iteration's start and end (monotonic ms): the first bucket starts at startMs. */
  startMs: number;
  endMs: number;
  /** Width of a bucket (ms); at most 100. */
  bucketMs: number;
  started: number[];
  ok: number[];
  failed: number[];
  /** Timed out: effect unknown. */
  unknown: number[];
  /** Nearest-rank p50 / p95 latency of the bucket's successful ops (ms, 3 significant digits); null when none. */
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
}

export interface ProbeIterationResult {
  timeline?: ProbeTimeline;
}

export interface FaultRecord {
  /** When a fault with its own duration (a pause, a timed latency toxic) ended during the iteration. */
  endedAtMs?: number;
}

export interface IterationResult {
  /** When the iteration's workload started and stopped (monotonic ms). */
  startMs?: number;
  endMs?: number;
  /**
   * End of the fault window that starts at tInjectMs: the end of the primary probe's fault phase
   * (its recovery, or later when a timed fault lasted longer), endMs when it never recovered.
   */
  faultEndMs?: number;
  /** When the stack reported detection (monotonic ms; mttdMs counts from tInjectMs), else null. */
  detectedAtMs?: number | null;
  /** For an iteration with a latency toxic: whether the probes' latency showed it (fault-effect.ts). */
  latencyEffect?: LatencyEffect;
}

/** A latency fault's effect as the probes saw it: the probe whose fault-phase p50 rose most. */
export interface LatencyEffect {
  /** Latency the toxic adds to one round trip (ms). */
  addedMs: number;
  /** The rise of the fault-phase p50 over the steady p50 that counts as an effect (ms). */
  neededMs: number;
  /** null when no probe had enough successful operations in both phases. */
  probe: string | null;
  steadyP50Ms: number | null;
  faultP50Ms: number | null;
  riseMs: number | null;
  seen: boolean;
}

// ---------------------------------------------------------------------------------------------
// Run history and baselines (src/history/): what earlier runs of the same scenario on the same
// provider measured, and relative bounds judged against them. Interface merging keeps these
// additions to TargetResult and RunReport in this one block.
// ---------------------------------------------------------------------------------------------

/** The figures a run is compared on, in report.json's `history` and in each history line. */
export interface RunFigures {
  /** Per iteration, from the primary probe; null for an iteration without impact or never recovered. */
  rtoMs: (number | null)[];
  /** Median of the iterations' RTOs that have one; null when none has. */
  rtoMedianMs: number | null;
  /** Mean of the iterations' RTOs (MTTR); null when none recovered. */
  mttrMs: number | null;
  /** Per probe and phase: the worst iteration's p95 latency (null when the phase had no success). */
  p95Ms: Record<string, Record<PhaseName, number | null>>;
  /** Acknowledged writes lost, summed over the iterations; null when no probe read its writes back. */
  lostWrites: { lost: number; acknowledged: number } | null;
}

/** The run of the same scenario and provider just before this one, as its history line has it. */
export interface PreviousRun extends RunFigures {
  runId: string;
  startedAt: string;
  finishedAt: string;
  verdict: Verdict;
  exitCode: 0 | 1 | 2;
  /** False when it ran another version of the scenario file (its sha256 differs). */
  sameScenarioFile: boolean;
}

/** Medians over the last passing runs (exit code 0) of the same scenario and provider. */
export interface Baseline {
  /** How many runs were asked for (--baseline-runs). */
  runs: number;
  /** How many passing runs there were to take (at most `runs`). */
  n: number;
  /** Their run ids, oldest first. */
  runIds: string[];
  rtoMedianMs: number | null;
  mttrMedianMs: number | null;
  p95MedianMs: Record<string, Record<PhaseName, number | null>>;
  lostWritesMedian: number | null;
  /** How many of them ran another version of the scenario file than this run. */
  otherScenarioFile: number;
}

export interface RunHistory {
  /** The history file read (and appended to after the run). */
  file: string;
  /** Earlier runs of this scenario on this provider in the file. */
  earlierRuns: number;
  /** Of those, the ones that passed (exit code 0). */
  passingRuns: number;
  previous: PreviousRun | null;
  baseline: Baseline | null;
}

/** A target's relative bound (`maxRegression`), judged against the baseline median of the same target. */
export interface RegressionResult {
  /** As the user wrote it, e.g. "+50%". */
  maxRegression: string;
  /** 0.5 for "+50%": the measured value may be at most baseline × (1 + ratio). */
  ratio: number;
  /** The baseline median of this target's value and how many runs it is the median of; null when none. */
  baseline: { n: number; median: number; runIds: string[] } | null;
  /** baseline × (1 + ratio); null without a baseline. */
  limit: number | null;
  /** pass / fail against the limit; inconclusive when there is no baseline or nothing was measured. */
  verdict: Verdict;
  /** Why, in words: "regression against baseline (median of 5 runs: 1.6 s)", "no baseline yet: …". */
  note: string;
}

export interface TargetResult {
  /** Present when the target has a relative bound. */
  regression?: RegressionResult;
}

export interface RunReport {
  /** Present unless the run was made with --no-history. */
  history?: RunHistory;
}

// ---------------------------------------------------------------------------------------------
// Event streams (the eventbus probe, issue 16 part 3): what the read-back of a stream found
// besides lost events, and how the bus's buffer drained. Kept in this block for easy merges.
// ---------------------------------------------------------------------------------------------

/** One buffer episode: from the first status poll with buffered events to the first empty one. */
export interface BufferEpisode {
  startMs: number;
  /** The first poll in the episode at which the bus reported Redis reachable after it reported it unreachable (else startMs). */
  reachableMs: number;
  /** The first poll with an empty buffer, or null when it never emptied. */
  emptyMs: number | null;
  /** When a timed fault (a partition) ended inside the episode: Redis reachable again as the harness knows it. */
  healedMs?: number;
  maxBuffered: number;
}

export interface StreamCheck {
  /** Distinct events of the probe found in the stream. */
  inStream: number;
  /** Extra copies (an event present twice counts 1). */
  duplicated: number;
  duplicatedSample: string[];
  /** Events standing after one the probe sent only after this one was acknowledged. */
  outOfOrder: number;
  outOfOrderSample: string[];
  episodes: BufferEpisode[];
  /** Worst emptyMs - (healedMs ?? reachableMs) over the drained episodes; null without any episode. */
  drainMs: number | null;
}

export interface ProbeIterationResult {
  stream?: StreamCheck;
}

// ---- Groups of a probe's operations (issue 16 item 6) -------------------------------------------
// A probe that spreads its operations over parts of the system (the slot ranges of a Redis Cluster)
// tags each with its group; RTO and lost writes are then computed per group too. Kept in this one
// block, merged into ProbeIterationResult by declaration merging.

export interface ProbeGroupResult {
  group: string;
  /** Operations of the group in the iteration. */
  ops: number;
  /** computeRto on the group's operations alone. */
  rto: RtoResult;
  /** The group's acknowledged and lost writes, when the probe reads its writes back. */
  rpo?: { acknowledged: number; lost: number; lostAfterInject: number };
}

export interface ProbeIterationResult {
  /** Per group, in the order the groups first appear; absent when the probe's ops carry no group. */
  groups?: ProbeGroupResult[];
}
