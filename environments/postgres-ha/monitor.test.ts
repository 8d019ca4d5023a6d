import { describe, expect, it } from 'vitest';
import type { PgNodeState } from '../../src/stacks/postgres.js';
import { formationHealthy, roleFromState } from './monitor.js';

const st = (name: string, reportedState: string, goalState = reportedState): PgNodeState => ({
  name,
  host: '127.0.0.1',
  port: 1,
  reportedState,
  goalState,
});

describe('formationHealthy', () => {
  it.each([
    ['primary + secondary', [st('node1', 'primary'), st('node2', 'secondary')], ['node1', 'node2'], true],
    // The monitor does not fail over from wait_primary: killing it then would measure nothing.
    [
      'wait_primary + secondary',
      [st('node1', 'wait_primary'), st('node2', 'secondary')],
      ['node1', 'node2'],
      false,
    ],
    [
      'primary moving on',
      [st('node1', 'wait_primary', 'primary'), st('node2', 'secondary')],
      ['node1', 'node2'],
      false,
    ],
    ['standby not registered yet', [st('node1', 'single')], ['node1', 'node2'], false],
    [
      'other node down, survivor wait_primary',
      [st('node1', 'primary', 'demoted'), st('node2', 'wait_primary')],
      ['node2'],
      true,
    ],
    [
      'catching up',
      [st('node1', 'primary'), st('node2', 'catchingup', 'secondary')],
      ['node1', 'node2'],
      false,
    ],
    ['two primaries', [st('node1', 'primary'), st('node2', 'primary')], ['node1', 'node2'], false],
    ['nothing running', [st('node1', 'primary')], [], false],
  ])('%s', (_name, states, running, healthy) => {
    expect(formationHealthy(states, running)).toBe(healthy);
  });
});

describe('roleFromState', () => {
  it.each([
    [st('n', 'primary'), 'primary'],
    [st('n', 'wait_primary'), 'primary'],
    [st('n', 'single'), 'primary'],
    [st('n', 'secondary'), 'replica'],
    [st('n', 'wait_primary', 'primary'), 'primary'],
    [st('n', 'primary', 'draining'), 'primary->draining'],
    [st('n', 'secondary', 'prepare_promotion'), 'secondary->prepare_promotion'],
    [st('n', 'demoted'), 'demoted'],
  ])('%o is %s', (s, role) => {
    expect(roleFromState(s)).toBe(role);
  });
});
