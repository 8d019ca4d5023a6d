import { describe, expect, it } from 'vitest';
import { closestField, distance, unknownFieldMessage } from './known-fields.js';

describe('distance', () => {
  it.each([
    ['undo', 'undo', 0],
    ['udno', 'undo', 1],
    ['stedyState', 'steadyState', 1],
    ['intervall', 'interval', 1],
    ['Timeout', 'timeout', 0],
    ['abc', 'cab', 2],
    ['', 'run', 3],
  ])('%s → %s is %d edits', (a, b, n) => {
    expect(distance(a, b)).toBe(n);
  });
});

describe('closestField', () => {
  const commandFault = [
    'kind',
    'target',
    'at',
    'run',
    'undo',
    'shell',
    'cwd',
    'env',
    'timeout',
    'undoTimeout',
  ];

  it.each([
    ['udno', 'undo'],
    ['undoo', 'undo'],
    ['timeoutMs', 'timeout'],
    ['undoTimeoutMs', 'undoTimeout'],
    ['shel', 'shell'],
    ['undoTime', 'undoTimeout'],
  ])('%s → %s', (key, meant) => {
    expect(closestField(key, commandFault)).toBe(meant);
  });

  it('suggests nothing for a name far from every field', () => {
    expect(closestField('retries', commandFault)).toBeUndefined();
  });

  it('reads an old …Ms spelling as the field without the suffix', () => {
    expect(closestField('graceMs', ['grace', 'downFor'])).toBe('grace');
    expect(closestField('durationMs', ['duration'])).toBe('duration');
  });
});

describe('unknownFieldMessage', () => {
  it('names the field meant and every field allowed there', () => {
    expect(unknownFieldMessage('udno', ['run', 'undo'], 'field for kind "command"')).toBe(
      'unknown field for kind "command"; did you mean "undo"? Expected one of: run, undo',
    );
    expect(unknownFieldMessage('zzz', ['run'])).toBe('unknown field; Expected one of: run');
  });
});
