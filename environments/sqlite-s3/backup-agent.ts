// Periodic consistent snapshots of the live database to S3. Runs inside the trade-store
// process: `db.backup()` on the service's own connection sees every committed write (WAL
// included) and is kept consistent by SQLite even while the service writes, and the
// agent stops with the service, so a restore never races an upload.
import { readFile, rm } from 'node:fs/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Database } from 'better-sqlite3';
import { type S3Location, s3ClientFor } from '../../src/actions/s3-client.js';

export interface BackupAgentConfig extends S3Location {
  intervalMs: number;
  /** Temporary snapshot file (same filesystem as the database). */
  tmpPath: string;
}

export interface BackupStatus {
  uploaded: number;
  failed: number;
  lastKey?: string;
  lastSnapshotAt?: string;
  lastError?: string;
}

/** Object key for a snapshot: ISO time first so keys sort by age; seq breaks ties. */
export function backupKey(prefix: string, snapshotAt: Date, seq: number): string {
  return `${prefix}${snapshotAt.toISOString()}-${String(seq).padStart(6, '0')}.db`;
}

export class BackupAgent {
  readonly status: BackupStatus = { uploaded: 0, failed: 0 };
  readonly #db: Database;
  readonly #cfg: BackupAgentConfig;
  readonly #s3: S3Client;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #seq = 0;

  constructor(db: Database, cfg: BackupAgentConfig) {
    this.#db = db;
    this.#cfg = cfg;
    // One attempt: a failed upload is counted and the next snapshot is the retry.
    this.#s3 = s3ClientFor(cfg, { maxAttempts: 1 });
  }

  start(): void {
    // Sequential (not setInterval) so a slow upload never overlaps the next snapshot.
    const loop = () => {
      if (this.#stopped) return;
      this.#running = this.#once().finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(loop, this.#cfg.intervalMs);
      });
    };
    this.#timer = setTimeout(loop, this.#cfg.intervalMs);
  }

  async #once(): Promise<void> {
    const seq = this.#seq++;
    try {
      // The snapshot is the database as of the moment backup() completes.
      await this.#db.backup(this.#cfg.tmpPath);
      const snapshotAt = new Date();
      const body = await readFile(this.#cfg.tmpPath);
      const key = backupKey(this.#cfg.prefix, snapshotAt, seq);
      await this.#s3.send(
        new PutObjectCommand({
          Bucket: this.#cfg.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          Metadata: { 'snapshot-at': snapshotAt.toISOString() },
        }),
        { abortSignal: AbortSignal.timeout(Math.max(5000, this.#cfg.intervalMs)) },
      );
      this.status.uploaded++;
      this.status.lastKey = key;
      this.status.lastSnapshotAt = snapshotAt.toISOString();
      delete this.status.lastError;
    } catch (err) {
      this.status.failed++;
      this.status.lastError =
        err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
      console.error(`backup ${seq} failed: ${this.status.lastError}`);
    } finally {
      await rm(this.#cfg.tmpPath, { force: true });
    }
  }

  /** Stop taking snapshots; waits for one in progress (bounded by its upload timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
    this.#s3.destroy();
  }
}
