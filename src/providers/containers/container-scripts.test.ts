import { describe, expect, it } from 'vitest';
import type { FileEdit } from '../../core/data-files.js';
import { applyEdits, copyScript, editScript, headersStable } from './container-scripts.js';

const b = (s: string) => Buffer.from(s);

describe('applyEdits', () => {
  it.each<[string, string, FileEdit[], string]>([
    ['writes in place', 'aaaaaa', [{ at: 1, write: b('XY') }], 'aXYaaa'],
    ['truncates', 'abcdef', [{ truncateTo: 2 }], 'ab'],
    ['in order', 'abcdef', [{ truncateTo: 2 }, { at: 1, write: b('Z') }], 'aZ'],
    ['extends with zeros past the end', 'ab', [{ at: 3, write: b('c') }], 'ab\0c'],
    ['a truncation to a larger size extends', 'ab', [{ truncateTo: 3 }], 'ab\0'],
  ])('%s', (_what, before, edits, after) => {
    expect(applyEdits(b(before), edits).toString('latin1')).toBe(after);
  });
});

describe('editScript', () => {
  it('reads each write from the patch at its own offset and refuses a missing file', () => {
    const { script, patch } = editScript([
      { at: 8, write: b('ab') },
      { truncateTo: 4 },
      { at: 0, write: b('c') },
    ]);
    expect(patch.toString()).toBe('abc');
    expect(script).toContain('[ -f "$1" ] || exit 44');
    expect(script).toContain('bs=2 count=1 skip=0 seek=8');
    expect(script).toContain('truncate -s 4 "$1"');
    expect(script).toContain('bs=1 count=1 skip=2 seek=0');
  });
});

describe('copyScript', () => {
  it("reads the named sidecars' headers around one tar run, and says whether they held", () => {
    const script = copyScript(['a.db-wal', "it's"], 32);
    expect(script).toContain("b=$(h 'a.db-wal' 'it'\\''s')");
    expect(script).toContain('tar -cf - --ignore-failed-read -- "$@"');
    expect(headersStable('tar: a.db-wal: file changed as we read it\n@@heads ab/none/ ab/none/\n')).toBe(
      true,
    );
    expect(headersStable('\n@@heads ab/ cd/\n')).toBe(false);
    expect(headersStable('tar: error')).toBeUndefined();
  });
});
