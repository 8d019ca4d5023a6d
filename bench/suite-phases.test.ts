import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/core/types.js';
import {
  addBreakdowns,
  breakdownOf,
  emptyBreakdown,
  harnessShare,
  type RunShape,
  sharedBringUpBound,
} from './suite-phases.js';

const phase = (tMs: number, name: string): RunEvent => ({
  tMs,
  type: 'phase',
  message: name,
  data: { phase: name },
});

describe('breakdownOf', () => {
  it('gives each phase the time until the next phase event, and teardown the time until done', () => {
    const events: RunEvent[] = [
      phase(20, 'bring-up'),
      { tMs: 2000, type: 'ready', message: 'ready' },
      phase(2500, 'steady'),
      phase(5500, 'inject'),
      phase(5600, 'recover'),
      phase(8000, 'observe'),
      phase(10_000, 'verify'),
      phase(11_000, 'heal'),
      phase(11_100, 'settle'),
      phase(13_100, 'steady'),
      phase(16_100, 'inject'),
      phase(16_200, 'recover'),
      phase(18_000, 'verify'),
      phase(18_500, 'teardown'),
      { tMs: 19_000, type: 'done', message: 'torn down' },
    ];
    expect(breakdownOf(events, 19_010)).toEqual({
      'bring-up': 2500,
      steady: 6000,
      fault: 2400 + 1800 + 200,
      observe: 2000,
      verify: 1000 + 500,
      settle: 2100,
      teardown: 500,
      other: 10,
    });
  });

  it('ends the last phase at the end of the run when teardown never reported done', () => {
    const b = breakdownOf([phase(0, 'bring-up'), phase(900, 'teardown')], 1500);
    expect(b['bring-up']).toBe(900);
    expect(b.teardown).toBe(600);
  });
});

describe('addBreakdowns', () => {
  it('adds bucket by bucket', () => {
    const a = { ...emptyBreakdown(), steady: 1, teardown: 2 };
    const b = { ...emptyBreakdown(), steady: 3, other: 4 };
    expect(addBreakdowns(a, b)).toEqual({ ...emptyBreakdown(), steady: 4, teardown: 2, other: 4 });
  });
});

describe('harnessShare', () => {
  it('counts bring-up, verify, teardown and other, not what the scenario or the stack fixes', () => {
    const b = {
      ...emptyBreakdown(),
      'bring-up': 1,
      steady: 10,
      fault: 20,
      observe: 30,
      verify: 2,
      settle: 40,
      teardown: 3,
      other: 4,
    };
    expect(harnessShare(b)).toBe(10);
  });
});

describe('sharedBringUpBound', () => {
  const run = (name: string, environment: string, options: unknown, up: number, down: number): RunShape => ({
    name,
    environment,
    provider: 'local',
    options,
    phases: { ...emptyBreakdown(), 'bring-up': up, teardown: down },
  });

  it('adds the follower’s bring-up and the predecessor’s teardown of consecutive runs alike', () => {
    const runs = [
      run('pg-a', 'postgres-ha', { nodes: 2 }, 3000, 600),
      run('pg-b', 'postgres-ha', { nodes: 2 }, 3100, 650),
      run('pg-c', 'postgres-ha', { nodes: 3 }, 3500, 700),
      run('redis-a', 'redis-sentinel', {}, 2400, 300),
      run('redis-b', 'redis-sentinel', undefined, 2300, 350),
    ];
    expect(sharedBringUpBound(runs)).toEqual({
      savedMs: 600 + 3100 + 300 + 2300,
      pairs: ['pg-a -> pg-b', 'redis-a -> redis-b'],
    });
  });

  it('saves nothing when no two consecutive runs share environment, options and provider', () => {
    const a = run('a', 'x', {}, 1, 1);
    const b = { ...run('b', 'x', {}, 1, 1), provider: 'containers' };
    expect(sharedBringUpBound([a, b, run('c', 'y', {}, 1, 1)])).toEqual({ savedMs: 0, pairs: [] });
  });
});
