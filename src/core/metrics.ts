// The metric engine: pure functions from recorded histories to the numbers in the report. No I/O, no formatting.

export { computeAtFault } from './metrics/at-fault.js';
export { median } from './metrics/median.js';
export { computeMttr } from './metrics/mttr.js';
export { percentile } from './metrics/percentile.js';
export type { PhaseBoundsInput, PhaseWindow, SeriesSummary } from './metrics/phases.js';
export { phaseBounds, summarizePhases, summarizeSeries } from './metrics/phases.js';
export { computeRpo } from './metrics/rpo.js';
export type { RtoOptions } from './metrics/rto.js';
export { computeRto } from './metrics/rto.js';
export type { ScheduleOptions } from './metrics/schedule.js';
export { computeSchedule } from './metrics/schedule.js';
export type { TimelineWindow } from './metrics/timeline.js';
export { computeTimeline, TIMELINE_BUCKET_MS } from './metrics/timeline.js';
