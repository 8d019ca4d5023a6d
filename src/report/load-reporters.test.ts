import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReporterRef, loadReporters } from './load-reporters.js';
import { isFileReporter } from './reporter.js';

const options = {
  stream: new Writable({ write: (_c, _e, done) => done() }),
  isTTY: false,
  clock: () => 0,
};

describe('loadReporters', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'load-reporters-'));
    const files = {
      'object.mjs': 'export default { onRunEnd() { return []; } };',
      'class.mjs': 'export default class { constructor(o) { this.tty = o.isTTY; } onEvent() {} };',
      'factory.mjs': 'export default (o) => ({ onStatus() {}, tty: o.isTTY });',
      'typo.mjs': 'export default { onRunEnded() {} };',
      'not-a-function.mjs': 'export default { onEvent: true };',
      'named.mjs': 'export const reporter = { onEvent() {} };',
      'empty.mjs': 'export default {};',
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the default set when none is given: console, then the four file formats', async () => {
    const set = await loadReporters([], options);
    expect(set.map((r) => r.name)).toEqual(['console', 'json', 'markdown', 'junit', 'html']);
    expect(set.map((r) => isFileReporter(r.reporter))).toEqual([false, true, true, true, true]);
  });

  it('loads a default export that is an object, a class or a function, once per path', async () => {
    const set = await loadReporters(
      ['./object.mjs', 'class.mjs', './factory.mjs', './object.mjs'],
      options,
      dir,
    );
    expect(set.map((r) => r.name)).toEqual(['./object.mjs', 'class.mjs', './factory.mjs']);
    expect(set[1]?.reporter).toMatchObject({ tty: false });
    expect(set[2]?.reporter).toMatchObject({ tty: false });
  });

  it('refuses a name that is not a reporter, naming every choice', () => {
    expect(() => checkReporterRef('xml')).toThrow(
      '--reporter: no reporter named "xml"; expected one of console, json, markdown, junit, html, drill, or the path of a module whose default export is a reporter (e.g. ./my-reporter.js)',
    );
    expect(checkReporterRef('junit')).toBe('junit');
    expect(checkReporterRef('my-reporter.mjs')).toBe('my-reporter.mjs');
  });

  it.each([
    ['./missing.mjs', /--reporter \.\/missing\.mjs: no such file .*missing\.mjs$/],
    ['./typo.mjs', /unknown hook "onRunEnded"; the hooks are onSuiteStart, onRunStart, .*onSuiteReported$/],
    ['./not-a-function.mjs', /: onEvent must be a function, got boolean$/],
    [
      './named.mjs',
      /: no default export; expected a reporter object, or a class or function that makes one$/,
    ],
    ['./empty.mjs', /: has none of the hooks onSuiteStart, /],
  ])('refuses %s, saying what was expected', async (ref, message) => {
    await expect(loadReporters([ref], options, dir)).rejects.toThrow(message);
  });
});
