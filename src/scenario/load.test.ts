import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, PROJECT_ROOT } from './load.js';

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

  it('finds the environment a base names by path relative to the base, from a file elsewhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'extends-test-'));
    try {
      const base = join(PROJECT_ROOT, 'examples/scenarios/kv-backends-down.yaml');
      const file = join(dir, 'variant.yaml');
      writeFileSync(file, `extends: ${base}\nenvironmentOptions: { failTimeout: 10s }\n`);
      const variant = loadScenario(file);
      expect(variant.envDir).toBe(join(PROJECT_ROOT, 'examples/kv-behind-nginx'));
      expect(variant.spec.environmentOptions).toEqual({ failTimeout: '10s' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
