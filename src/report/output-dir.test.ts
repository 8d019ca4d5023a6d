import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../core/errors.js';
import { prepareOutputDir } from './output-dir.js';

describe('prepareOutputDir', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const rejects = (path: string, code: string, message: RegExp) => {
    let err: unknown;
    try {
      prepareOutputDir(path, '--out');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe(code);
    expect((err as HarnessError).message).toMatch(message);
  };

  it.each([['/proc/chaos-out'], ['/proc/self/x/y'], ['/sys/kernel/chaos'], ['/sys']])(
    'refuses %s at once (mkdir -p loops forever on /proc)',
    (path) => {
      const t0 = performance.now();
      rejects(path, 'OUTPUT_DIR_UNUSABLE', /is under \/(proc|sys), a virtual file system/);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(existsSync(path) && path !== '/sys').toBe(false);
    },
  );

  it('refuses a file, and a path below a file', () => {
    dir = mkdtempSync(join(tmpdir(), 'out-dir-'));
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    rejects(file, 'OUTPUT_DIR_UNUSABLE', /exists and is not a directory/);
    rejects(
      join(file, 'a', 'b'),
      'OUTPUT_DIR_UNUSABLE',
      new RegExp(`cannot be created: ${file} is not a directory`),
    );
  });

  it('creates missing levels and leaves nothing else behind', () => {
    dir = mkdtempSync(join(tmpdir(), 'out-dir-'));
    const out = join(dir, 'a', 'b');
    expect(prepareOutputDir(out)).toBe(out);
    expect(readdirSync(out)).toEqual([]);
  });

  it('accepts an existing directory given relative to the working directory', () => {
    expect(prepareOutputDir('.')).toBe(process.cwd());
  });
});
