// Load-time checks of the kinds for a service of one's own (http-write and the command kinds): what
// they can measure, and their fields, named with the file's path and the closest field name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckedScenario } from './check-environment.js';
import { PROJECT_ROOT } from './load.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'own-service-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KV = join(PROJECT_ROOT, 'test/fixtures/environments/kv');
let n = 0;

/** A scenario on the KV fixture with these YAML lines for probes, faults and targets. */
async function load(probes: string, faults: string, targets = '[]') {
  const file = join(dir, `s${n++}.yaml`);
  writeFileSync(
    file,
    [
      'description: load-time check',
      `environment: ${KV}`,
      `probes: ${probes}`,
      'steadyState: { duration: 1s }',
      `faults: ${faults}`,
      `targets: ${targets}`,
    ].join('\n'),
  );
  return loadCheckedScenario(file);
}

const WRITES = '[{ name: writes, kind: http-write, interval: 20ms, readPath: "/kv/{id}" }]';
const CHECK = '[{ name: check, kind: command, interval: 200ms, command: ["true"] }]';
const KILL = '[{ kind: process-kill, target: { service: kv } }]';

describe('load-time checks of http-write and the command kinds', () => {
  it('accepts lost-writes, lost-writes-after-fault and rpo targets on http-write', async () => {
    const sc = await load(
      WRITES,
      KILL,
      '[{ metric: rpo, max: 0s, source: s }, { metric: lost-writes-after-fault, max: 0, source: s }]',
    );
    expect(sc.targets.map((t) => t.metric)).toEqual(expect.arrayContaining(['lost-writes', 'rpo']));
  });

  it('rejects lost-writes on a command probe, naming the kinds that read writes back', async () => {
    await expect(load(CHECK, KILL)).rejects.toThrow(
      /lost-writes.*needs a probe that reads its writes back \(kinds: [^)]*http-write[^)]*\); probe check \(command\) does not/,
    );
  });

  it('turns a command fault’s timeout into milliseconds and names a misspelt field', async () => {
    const sc = await load(WRITES, '[{ kind: command, run: [./break.sh], undo: [./mend.sh], timeout: 5s }]');
    expect(sc.iterations[0]?.faults[0]?.params).toMatchObject({ timeoutMs: 5000, shell: false });
    await expect(load(WRITES, '[{ kind: command, run: [./break.sh], undoo: [./mend.sh] }]')).rejects.toThrow(
      /faults\[0\]\.undoo: unknown field for kind "command"; did you mean "undo"\?/,
    );
    await expect(load(WRITES, '[{ kind: command, run: [./break.sh], udno: [./mend.sh] }]')).rejects.toThrow(
      /faults\[0\]\.udno: unknown field for kind "command"; did you mean "undo"\? Expected one of: kind, target, at, run, undo, shell, cwd, env, timeout, undoTimeout$/m,
    );
    await expect(load(WRITES, '[{ kind: command, run: [./break.sh], timeoutMs: 5000 }]')).rejects.toThrow(
      /faults\[0\]\.timeoutMs: unknown field for kind "command"; did you mean "timeout"\?/,
    );
    await expect(load('[{ name: writes, kind: http-write, readPth: "/kv/{id}" }]', KILL)).rejects.toThrow(
      /probes\[0\]\.readPth: unknown field for kind "http-write"; did you mean "readPath"\?/,
    );
  });

  it('rejects an empty command and a timeout no timer can hold', async () => {
    await expect(load(WRITES, '[{ kind: command, run: [] }]')).rejects.toThrow(
      /faults\[0\]\.run: expected the program and its arguments; got an empty list/,
    );
    await expect(load(CHECK.replace(`["true"]`, '[]'), KILL)).rejects.toThrow(
      /probes\[0\]\.command: expected the program/,
    );
    await expect(load(WRITES, '[{ kind: command, run: [x], timeout: 600h }]')).rejects.toThrow(
      /faults\[0\]\.timeout: expected at most 2147483647 ms .*got "600h"/,
    );
  });
});
