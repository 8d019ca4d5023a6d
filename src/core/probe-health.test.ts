import { describe, expect, it } from 'vitest';
import { MIN_LATE_OPS, scheduleFailure } from './probe-health.js';
import type { ProbeSchedule } from './report-model.js';

function schedule(scheduled: number, late: number): ProbeSchedule {
  return {
    requestedPerSec: 20,
    achievedPerSec: 20,
    scheduled,
    issued: scheduled,
    missed: 0,
    lagP50Ms: 1,
    lagP99Ms: 75,
    lagMaxMs: 75,
    late,
    lateShare: late / scheduled,
  };
}

describe('scheduleFailure', () => {
  it('lets a short run have fewer than MIN_LATE_OPS late operations, though they are over 1%', () => {
    expect(MIN_LATE_OPS).toBe(3);
    expect(scheduleFailure('writes', 50, [{ iteration: 0, schedule: schedule(50, 2) }])).toBeUndefined();
    expect(scheduleFailure('writes', 50, [{ iteration: 0, schedule: schedule(50, 3) }])).toMatch(
      /^probe "writes" fell behind its schedule: 6\.00% of its 50 scheduled operations \(3\) started more than one interval \(50 ms\) late/,
    );
  });

  it('judges the share over the whole run, and names the floor when the interval is below it', () => {
    const runs = [
      { iteration: 0, schedule: schedule(1000, 6) },
      { iteration: 1, schedule: schedule(1000, 5) },
    ];
    expect(scheduleFailure('writes', 10, runs)).toBeUndefined();
    runs.push({ iteration: 2, schedule: schedule(1000, 30) });
    expect(scheduleFailure('writes', 10, runs)).toMatch(
      /1\.37% of its 3000 scheduled operations \(41\) started more than 20 ms \(the floor; one interval is 10 ms\) late.*worst in iteration 3/,
    );
  });
});
