import { describe, expect, it } from 'vitest';
import { loadScenario } from './load.js';

describe('extends', () => {
  it('starts from the base scenario: own fields replace, options merge, targets replace per metric', () => {
    const base = loadScenario('sqlite-corruption');
    const slow = loadScenario('sqlite-corruption-slow-backup');
    expect(slow.name).toBe('sqlite-corruption-slow-backup');
    // Same faults, probes and restore as the base: "the same scenario".
    expect(slow.iterations).toEqual(base.iterations);
    expect(slow.iterations.map((it) => it.name)).toEqual(['pages', 'header', 'truncate', 'delete-wal']);
    expect(slow.probes).toEqual(base.probes);
    expect(slow.action).toEqual(base.action);
    expect(slow.primaryProbe).toBe(base.primaryProbe);
    expect(slow.spec.environmentOptions).toEqual({
      ...base.spec.environmentOptions,
      backupIntervalMs: 10_000,
    });
    expect(slow.spec.steadyState.duration).toBe(11_000);
    expect(slow.spec.description).not.toBe(base.spec.description);
    const bound = (sc: typeof base, metric: string) => sc.targets.find((t) => t.metric === metric)?.bound;
    expect(bound(slow, 'rto')).toBe(bound(base, 'rto'));
    expect(bound(base, 'rpo')).toBe(3_600_000);
    expect(bound(slow, 'rpo')).toBe(1000);
    expect(slow.targets.filter((t) => t.metric === 'rpo')).toHaveLength(1);
  });
});
