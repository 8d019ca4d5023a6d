// pgBackRest (Debian package pgbackrest) with an S3 repository: its configuration, and its commands
// run as postgres through a runner the provider supplies (a local process, or an exec in the
// database's container).

import { type ErrorCode, HarnessError } from '../../src/core/errors.js';
import type { BackupInfo } from '../../src/stacks/postgres-backup.js';

export const STANZA = 'main';

export interface PgBackRestPaths {
  /** Where pgBackRest finds this file (on the database's host or in its container). */
  config: string;
  pgdata: string;
  pgPort: number;
  socketDir: string;
  /** Writable by postgres: pgBackRest's lock, log and spool directories. */
  stateDir: string;
}

export interface S3Repo {
  /** Host and port as the database's host reaches the S3 server (HTTPS). */
  host: string;
  port: number;
  bucket: string;
  /** Key prefix of the repository inside the bucket. */
  path: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * pgBackRest's configuration. Its S3 driver speaks only HTTPS: s3rver serves a certificate made
 * for the run, which pgBackRest does not verify (repo1-storage-verify-tls=n: the server is ours,
 * on loopback or the run's network).
 */
export function pgBackRestConfig(p: PgBackRestPaths, s3: S3Repo, opts: { processMax: number }): string {
  return [
    '[global]',
    'repo1-type=s3',
    `repo1-s3-bucket=${s3.bucket}`,
    `repo1-s3-endpoint=${s3.host}`,
    `repo1-storage-port=${s3.port}`,
    'repo1-s3-uri-style=path',
    'repo1-storage-verify-tls=n',
    `repo1-s3-key=${s3.accessKeyId}`,
    `repo1-s3-key-secret=${s3.secretAccessKey}`,
    `repo1-s3-region=${s3.region}`,
    `repo1-path=${s3.path}`,
    'repo1-retention-full=2',
    // lz4: the fastest of pgBackRest's compressions, so the 2 cores go to restoring, not zlib.
    'compress-type=lz4',
    `process-max=${opts.processMax}`,
    'start-fast=y',
    'archive-async=n',
    'log-level-console=info',
    'log-level-file=off',
    `lock-path=${p.stateDir}/lock`,
    `log-path=${p.stateDir}/log`,
    `spool-path=${p.stateDir}/spool`,
    '',
    `[${STANZA}]`,
    `pg1-path=${p.pgdata}`,
    `pg1-port=${p.pgPort}`,
    `pg1-socket-path=${p.socketDir}`,
    '',
  ].join('\n');
}

/** postgresql.conf lines that archive every WAL segment to the repository. */
export function archiveSettings(config: string, archiveTimeoutMs: number, archive: boolean): string[] {
  return archive
    ? [
        'archive_mode = on',
        `archive_command = 'pgbackrest --config=${config} --stanza=${STANZA} archive-push %p'`,
        // A segment is archived at least this often when anything was written: the RPO's bound.
        `archive_timeout = '${Math.max(1, Math.round(archiveTimeoutMs / 1000))}s'`,
      ]
    : ['archive_mode = off'];
}

export interface CommandResult {
  code: number | null;
  output: string;
  durationMs: number;
}

/** Runs argv as postgres where the database runs; never rejects on a non-zero exit. */
export type PostgresCommandRunner = (
  argv: readonly string[],
  opts: { timeoutMs: number; signal: AbortSignal; name: string },
) => Promise<CommandResult>;

/** pgBackRest with the environment's config; rejects naming the command on a non-zero exit. */
export class PgBackRest {
  constructor(
    private readonly run: PostgresCommandRunner,
    private readonly config: string,
  ) {}

  async command(
    args: readonly string[],
    timeoutMs: number,
    signal: AbortSignal,
    code: ErrorCode = 'NOT_READY',
  ): Promise<CommandResult> {
    const argv = ['pgbackrest', `--config=${this.config}`, `--stanza=${STANZA}`, ...args];
    const r = await this.run(argv, { timeoutMs, signal, name: `pgbackrest ${args[0]}` });
    if (r.code !== 0) {
      throw new HarnessError(
        code,
        `postgres-backup: \`${argv.join(' ')}\` exited with ${r.code === null ? 'no code (killed or timed out)' : `code ${r.code}`} after ${Math.round(r.durationMs)} ms: ${r.output.trim().split('\n').slice(-6).join(' | ')}`,
      );
    }
    return r;
  }

  async backups(signal: AbortSignal, code: ErrorCode = 'NOT_READY'): Promise<BackupInfo[]> {
    const r = await this.command(['info', '--output=json'], 30_000, signal, code);
    return parseBackups(r.output);
  }
}

interface InfoJson {
  backup?: {
    label: string;
    type: string;
    error?: boolean;
    timestamp: { start: number; stop: number };
    info: { size: number; repository: { delta: number; size?: number } };
  }[];
}

/** The backups of `pgbackrest info --output=json`, oldest first. */
export function parseBackups(json: string): BackupInfo[] {
  let stanzas: InfoJson[];
  try {
    stanzas = JSON.parse(json) as InfoJson[];
  } catch (cause) {
    throw new HarnessError(
      'NOT_READY',
      `postgres-backup: pgbackrest info printed no JSON: ${json.slice(0, 200)}`,
      {
        cause,
      },
    );
  }
  const out: BackupInfo[] = [];
  for (const s of stanzas) {
    for (const b of s.backup ?? []) {
      if (b.error) continue;
      out.push({
        label: b.label,
        type: b.type,
        startedAtMs: b.timestamp.start * 1000,
        stoppedAtMs: b.timestamp.stop * 1000,
        bytes: b.info.size,
        repoBytes: b.info.repository.size ?? b.info.repository.delta,
      });
    }
  }
  return out.sort((a, b) => a.stoppedAtMs - b.stoppedAtMs);
}
