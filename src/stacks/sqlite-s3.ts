// The contract between a SQLite-with-S3-backups stack and the restore-from-s3 action: which
// service owns the database, where its backups are, and how often they are taken.

import type { S3Location } from '../actions/s3-client.js';
import { extensionKey } from '../core/extensions.js';

export interface SqliteS3Backups {
  service: string;
  s3: S3Location;
  backupIntervalMs: number;
}

export const SQLITE_S3 = extensionKey<SqliteS3Backups>('sqliteS3', 'S3 backups of a SQLite database');
