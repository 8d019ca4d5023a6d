import { createServer } from 'node:net';
import { Toxiproxy } from 'toxiproxy-node-client';
import { describe, expect, it } from 'vitest';
import {
  errorMessage,
  formatError,
  HarnessError,
  MAX_ISSUES_SHOWN,
  ReportWriteError,
  toHarnessError,
  ValidationError,
} from './errors.js';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('errorMessage', () => {
  it.each([
    ['an Error', new Error('boom'), 'boom'],
    ['a string', 'Unknown error', 'Unknown error'],
    ['a number', 42, '42'],
    ['undefined', undefined, 'undefined'],
    [
      'a message object',
      { name: 'AxiosError', message: 'Request failed with status code 409' },
      'Request failed with status code 409',
    ],
    ['status and body', { status: 409, body: 'proxy already exists' }, 'status 409: proxy already exists'],
    ['a message with status', { message: 'conflict', status: 409 }, 'conflict (status 409)'],
    ['a name only', { name: 'ToxiproxyError' }, 'ToxiproxyError'],
    ['a plain object', { reason: 'x' }, '{"reason":"x"}'],
    ['an empty object', {}, '[object Object]'],
  ])('reads %s', (_what, err, text) => {
    expect(errorMessage(err)).toBe(text);
  });

  it('adds the path to a system error that does not name it', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      path: '/tmp/full/report.json',
    });
    expect(errorMessage(err)).toBe('ENOSPC: no space left on device, write (/tmp/full/report.json)');
    expect(toHarnessError(err).code).toBe('DISK_FULL');
  });

  it('never says [object Object] for what toxiproxy-node-client rejects with', async () => {
    const client = new Toxiproxy(`http://127.0.0.1:${await closedPort()}`);
    const err = await client.getAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(err).not.toBeInstanceOf(Error);
    expect(String(err)).toBe('[object Object]');
    expect(errorMessage(err)).toMatch(/ECONNREFUSED/);
    const h = toHarnessError(err);
    expect(h.code).toBe('PROXY_API_ERROR');
    expect(formatError(err)).toMatch(/ECONNREFUSED.*\[PROXY_API_ERROR\]$/);
  });
});

describe('toHarnessError', () => {
  it('keeps a HarnessError as it is', () => {
    const e = new HarnessError('NOT_READY', 'x');
    expect(toHarnessError(e)).toBe(e);
  });

  it('gives unknown errors the INTERNAL code and keeps the original as the cause', () => {
    const cause = new TypeError('bad');
    const h = toHarnessError(cause);
    expect(h.code).toBe('INTERNAL');
    expect(h.cause).toBe(cause);
    expect(formatError(cause)).toBe('bad [INTERNAL]\n(run with --verbose for the stack trace)');
    expect(formatError(cause, { verbose: true })).toMatch(/^bad \[INTERNAL\]\nTypeError: bad\n\s+at /);
  });
});

describe('ValidationError', () => {
  it(`shows the first ${MAX_ISSUES_SHOWN} issues and how many more there are`, () => {
    const issues = Array.from({ length: 27 }, (_, i) => ({ path: `services.s${i}.command`, message: 'x' }));
    const lines = new ValidationError('env.yaml', issues).message.split('\n');
    expect(lines[0]).toBe('env.yaml is not valid:');
    expect(lines).toHaveLength(1 + MAX_ISSUES_SHOWN + 1);
    expect(lines.at(-1)).toBe('  ... and 7 more');
  });

  it('combines the errors of several files into one that lists each file', () => {
    const a = new ValidationError('a.yaml', [{ path: 'probes', message: 'p' }]);
    const b = new ValidationError('b/environment.yaml', [{ path: '', message: 'q' }]);
    const c = ValidationError.combine([a, b]);
    expect(c?.file).toBe('a.yaml');
    expect(c?.message).toBe(
      'a.yaml is not valid:\n  probes: p\nb/environment.yaml is not valid:\n  (document): q',
    );
    expect(ValidationError.combine([])).toBeUndefined();
  });
});

describe('ReportWriteError', () => {
  it('names every file that failed and every one written; a full disk is DISK_FULL', () => {
    const e = new ReportWriteError(
      ['/r/junit.xml'],
      [{ path: '/r/report.json', message: 'ENOSPC: no space left on device, write' }],
    );
    expect(e.code).toBe('DISK_FULL');
    expect(e.message).toBe(
      'could not write /r/report.json (ENOSPC: no space left on device, write); written: /r/junit.xml',
    );
  });
});
