import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../src/core/errors.js';
import { archiveSettings, parseBackups, pgBackRestConfig } from './pgbackrest.js';
import { pgTime } from './stack.js';

describe('pgbackrest helpers', () => {
  it('reads the complete backups of `info --output=json`, oldest first, skipping failed ones', () => {
    const json = JSON.stringify([
      {
        name: 'main',
        backup: [
          {
            label: '20261201-234941F_20261201-235000I',
            type: 'incr',
            timestamp: { start: 1796169000, stop: 1796169002 },
            info: { size: 80, repository: { delta: 10 } },
          },
          {
            label: '20261201-234941F',
            type: 'full',
            timestamp: { start: 1796168981, stop: 1796168986 },
            info: { size: 74168103, repository: { delta: 43_800_000, size: 43_800_000 } },
          },
          {
            label: 'broken',
            type: 'full',
            error: true,
            timestamp: { start: 1, stop: 2 },
            info: { size: 1, repository: { delta: 1 } },
          },
        ],
      },
    ]);
    expect(parseBackups(json)).toEqual([
      {
        label: '20261201-234941F',
        type: 'full',
        startedAtMs: 1796168981000,
        stoppedAtMs: 1796168986000,
        bytes: 74168103,
        repoBytes: 43_800_000,
      },
      {
        label: '20261201-234941F_20261201-235000I',
        type: 'incr',
        startedAtMs: 1796169000000,
        stoppedAtMs: 1796169002000,
        bytes: 80,
        repoBytes: 10,
      },
    ]);
    expect(parseBackups('[{"name":"main","backup":[]}]')).toEqual([]);
    expect(() => parseBackups('ERROR: [056]')).toThrow(HarnessError);
  });

  it('gives pgBackRest a time it accepts (UTC with an explicit +00)', () => {
    expect(pgTime('2026-12-01T23:45:09.741Z')).toBe('2026-12-01 23:45:09.741+00');
    expect(() => pgTime('yesterday')).toThrow(/"yesterday" is not a time/);
  });

  it('configures an S3 repository over HTTPS with path-style URIs and the archive command', () => {
    const conf = pgBackRestConfig(
      { config: '/c/pgbackrest.conf', pgdata: '/d', pgPort: 5999, socketDir: '/s', stateDir: '/st' },
      {
        host: '127.0.0.1',
        port: 4443,
        bucket: 'b',
        path: '/main',
        region: 'us-east-1',
        accessKeyId: 'K',
        secretAccessKey: 'S',
      },
      { processMax: 2 },
    );
    for (const line of [
      'repo1-type=s3',
      'repo1-s3-uri-style=path',
      'repo1-storage-port=4443',
      'repo1-storage-verify-tls=n',
      'pg1-path=/d',
      'pg1-port=5999',
      '[main]',
    ])
      expect(conf.split('\n')).toContain(line);
    expect(archiveSettings('/c/pgbackrest.conf', 1500, true)).toEqual([
      'archive_mode = on',
      "archive_command = 'pgbackrest --config=/c/pgbackrest.conf --stanza=main archive-push %p'",
      "archive_timeout = '2s'",
    ]);
    expect(archiveSettings('/c', 1000, false)).toEqual(['archive_mode = off']);
  });
});
