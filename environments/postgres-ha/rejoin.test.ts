import { describe, expect, it } from 'vitest';
import { describeRejoin, rejoinFromLog } from './rejoin.js';

// Lines as pg_autoctl 2.0 writes them (the fallback one as reported from a fresh clone).
const REWIND_FAILED = `
12:00:01 500 INFO  Rewinding PostgreSQL to follow new primary node 2 "node2" (127.0.0.1:40001)
12:00:01 500 INFO  Postgres needs to enter crash recovery before pg_rewind.
12:00:02 500 INFO  pg_rewind: connected to server
12:00:02 500 ERROR pg_rewind: 2026-12-01 12:00:02.100 UTC [612] FATAL:  standby mode is not supported by single-user servers
12:00:02 500 ERROR Failed to rewind old data directory
12:00:02 500 WARN  Failed to rewind old data directory, trying pg_basebackup
12:00:02 500 INFO   /usr/lib/postgresql/15/bin/pg_basebackup -w -d 'host=127.0.0.1 port=40001'
12:00:03 500 INFO  pg_basebackup: initiating base backup, waiting for checkpoint to complete
`;
const REWOUND = `
12:00:01 500 INFO  Rewinding PostgreSQL to follow new primary node 2 "node2" (127.0.0.1:40001)
12:00:01 500 INFO  pg_rewind: servers diverged at WAL location 0/302C918 on timeline 1
12:00:01 500 INFO  pg_rewind: no rewind required
`;

describe('rejoinFromLog', () => {
  it('reports a full pg_basebackup and the reason pg_rewind failed', () => {
    const r = rejoinFromLog(REWIND_FAILED);
    expect(r).toEqual({
      method: 'pg_basebackup',
      reason: 'standby mode is not supported by single-user servers',
    });
    expect(describeRejoin('node1', r)).toBe(
      'node1 rejoined by full pg_basebackup: pg_rewind failed (standby mode is not supported by single-user servers)',
    );
  });

  it('reports pg_rewind and its verdict, and a plain restart', () => {
    expect(describeRejoin('node2', rejoinFromLog(REWOUND))).toBe(
      'node2 rejoined by pg_rewind (no rewind required)',
    );
    expect(
      rejoinFromLog('12:00:01 500 INFO  Transition complete: current state is now "secondary"\n'),
    ).toEqual({
      method: 'restart',
    });
  });
});
