import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from './load.js';

describe('schemas/scenario.schema.json, as an editor applies it', () => {
  const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas/scenario.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);
  const yamlFiles = (dir: string) =>
    readdirSync(join(PROJECT_ROOT, dir))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `${dir}/${f}`);
  const read = (file: string) => parse(readFileSync(join(PROJECT_ROOT, file), 'utf8'));

  it.each([...yamlFiles('scenarios'), ...yamlFiles('test/fixtures/scenarios')])('accepts %s', (file) => {
    const ok = validate(read(file));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  const base = {
    environment: 'http-service',
    probes: [{ name: 'api', kind: 'http', path: '/health' }],
    faults: [{ kind: 'process-kill', target: { service: 'api' } }],
  };
  /**
   * The unknown fields ajv names at `at` in the branch of `kind` (the other branches of the oneOf
   * fail on `kind` itself; an editor shows the branch whose kind matches).
   */
  type Branch = { properties: { kind: { const: string } } };
  const unknownAt = (doc: unknown, at: string, kind: string, branches: Branch[]) => {
    expect(validate(doc)).toBe(false);
    const i = branches.findIndex((b) => b.properties.kind.const === kind);
    expect(i, kind).toBeGreaterThanOrEqual(0);
    return (validate.errors ?? [])
      .filter((e) => e.instancePath === at && e.keyword === 'additionalProperties')
      .filter((e) => e.schemaPath.includes(`/oneOf/${i}/`))
      .map((e) => e.params.additionalProperty);
  };
  const props = schema.properties;

  it('accepts a small scenario, and rejects a field its kind does not have, naming it', () => {
    expect(validate(base)).toBe(true);
    const probe = { ...base.probes[0], expectedStatus: 200 };
    const probes = props.probes.items.oneOf;
    expect(unknownAt({ ...base, probes: [probe] }, '/probes/0', 'http', probes)).toEqual(['expectedStatus']);
    const fault = { kind: 'network-latency', target: { service: 'api' }, latency: '100ms', latencyMs: 100 };
    const faults = props.faults.items.oneOf;
    expect(unknownAt({ ...base, faults: [fault] }, '/faults/0', 'network-latency', faults)).toEqual([
      'latencyMs',
    ]);
    const iterations = [{ name: 'one', faults: [{ kind: 'process-pause', durationMs: 100, duration: 100 }] }];
    const { faults: _, ...noFaults } = base;
    expect(unknownAt({ ...noFaults, iterations }, '/iterations/0/faults/0', 'process-pause', faults)).toEqual(
      ['durationMs'],
    );
    const recovery = { mode: 'action', action: { kind: 'restore-from-s3', detectTimeoutMs: 1000 } };
    const actions = props.recovery.properties.action.oneOf;
    expect(unknownAt({ ...base, recovery }, '/recovery/action', 'restore-from-s3', actions)).toEqual([
      'detectTimeoutMs',
    ]);
  });

  it('checks the kind fields a kind has: their types, and durations as a number or with a unit', () => {
    expect(validate({ ...base, faults: [{ kind: 'process-pause', duration: '5s' }] })).toBe(true);
    expect(validate({ ...base, faults: [{ kind: 'process-pause', duration: '5 seconds' }] })).toBe(false);
    expect(validate({ ...base, faults: [{ kind: 'process-kill', signal: 9 }] })).toBe(false);
    expect(validate({ ...base, faults: [{ kind: 'no-such-kind' }] })).toBe(false);
  });

  it('needs environment and probes only in a file that does not extend another', () => {
    expect(validate({ extends: 'sqlite-corruption', targets: [] })).toBe(true);
    expect(validate({ targets: [] })).toBe(false);
  });
});
