import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ValidationIssue } from '../core/errors.js';
import { describeEnvironment, loadCheckedScenario } from './check-environment.js';
import { PROJECT_ROOT } from './load.js';

const scenarios = readdirSync(join(PROJECT_ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));

describe('loadCheckedScenario', () => {
  it.each(scenarios)('accepts scenarios/%s', async (f) => {
    const sc = await loadCheckedScenario(join(PROJECT_ROOT, 'scenarios', f));
    expect(sc.name).toBe(f.replace(/\.yaml$/, ''));
  });
});

describe('describeEnvironment', () => {
  const describeEnv = async (name: string, options?: Record<string, unknown>) => {
    const issues: ValidationIssue[] = [];
    const facts = await describeEnvironment(join(PROJECT_ROOT, 'environments', name), name, options, issues);
    return { facts, issues };
  };

  it.each([
    [
      'postgres-ha',
      { nodes: 3, viaProxy: true },
      ['monitor', 'node1', 'node2', 'node3'],
      ['node1', 'node2', 'node3'],
    ],
    ['postgres-ha', {}, ['monitor', 'node1', 'node2'], []],
    [
      'redis-sentinel',
      {},
      ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'],
      ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'],
    ],
    [
      'redis-sentinel',
      { viaProxy: false },
      ['redis-1', 'redis-2', 'redis-3', 'sentinel-1', 'sentinel-2', 'sentinel-3'],
      [],
    ],
    ['app-bluegreen', {}, ['blue', 'green', 'proxy'], []],
    ['sqlite-s3', {}, ['s3', 'trade-store'], []],
    ['sqlite-s3', { s3: { endpoint: 'http://127.0.0.1:9000' } }, ['trade-store'], []],
    ['http-service', undefined, ['api'], []],
  ])('%s with %j has services %j, %j behind the fault proxy', async (name, options, services, proxied) => {
    const { facts, issues } = await describeEnv(name, options);
    expect(issues).toEqual([]);
    expect(facts?.services?.map((s) => s.name)).toEqual(services);
    expect(facts?.services?.filter((s) => s.faultProxy).map((s) => s.name)).toEqual(proxied);
  });

  it.each([
    ['postgres-ha', { nodes: 1000 }, 'environmentOptions.nodes'],
    ['redis-sentinel', { downAfterMS: 500 }, 'environmentOptions.downAfterMS'],
    ['app-bluegreen', { slowMS: 10 }, 'environmentOptions.slowMS'],
    ['app-bluegreen', { errorEvry: 3 }, 'environmentOptions.errorEvry'],
    ['app-bluegreen', { initalVersion: 'slow' }, 'environmentOptions.initalVersion'],
    ['sqlite-s3', { s3: { bukket: 'x' } }, 'environmentOptions.s3.bukket'],
    ['http-service', { port: 1 }, 'environmentOptions.port'],
  ])('%s rejects %j at %s', async (name, options, path) => {
    const { issues } = await describeEnv(name, options);
    expect(issues.map((i) => i.path)).toEqual([path]);
  });

  it('suggests the option that was meant', async () => {
    const { issues } = await describeEnv('app-bluegreen', { slowMS: 10 });
    expect(issues[0]?.message).toMatch(/did you mean "slowMs"\?/);
  });
});
