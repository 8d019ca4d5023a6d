// Where SQLite backups live in S3, and the one way the harness and the sqlite-s3 backup agent
// talk to it (path-style, so s3rver, MinIO and real S3 all work).
import { S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export function s3ClientFor(loc: S3Location, opts: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint: loc.endpoint,
    region: loc.region,
    forcePathStyle: true,
    credentials: { accessKeyId: loc.accessKeyId, secretAccessKey: loc.secretAccessKey },
    // The default checksum mode sends aws-chunked bodies that s3rver stores verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: opts.maxAttempts ?? 2,
  });
}
