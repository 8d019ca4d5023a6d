// s3rver over HTTPS: pgBackRest's S3 driver speaks only TLS, so the run makes a self-signed
// certificate (openssl, a few ms) and s3rver serves it. Local provider: in the harness process.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import S3rver from 's3rver';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService } from '../../src/core/types.js';

export interface TlsFiles {
  key: string;
  cert: string;
}

/** A key and self-signed certificate for `names` (IPs and DNS names) in dir. */
export function makeCertificate(dir: string, names: readonly string[]): TlsFiles {
  const key = join(dir, 's3-key.pem');
  const cert = join(dir, 's3-cert.pem');
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${san}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 },
    );
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HarnessError(
      missing ? 'BINARY_MISSING' : 'NOT_READY',
      missing
        ? 'postgres-backup: openssl was not found: install the Debian package openssl'
        : `postgres-backup: openssl could not make the S3 certificate: ${(cause as Error).message}`,
      { cause },
    );
  }
  return { key, cert };
}

/** s3rver with TLS inside the harness; stop/kill close the listener, start listens again. */
export class InProcessTlsS3 implements StartedService {
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  #server: S3rver | undefined;

  constructor(
    readonly name: string,
    port: number,
    readonly directory: string,
    private readonly tls: TlsFiles,
    private readonly bucket: string,
  ) {
    this.endpoints = { https: { host: '127.0.0.1', port } };
  }

  async role(): Promise<string | undefined> {
    return 'backup-store';
  }
  id(): string | undefined {
    return this.#server === undefined ? undefined : 'in-process s3rver';
  }
  running(): boolean {
    return this.#server !== undefined;
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    throw new HarnessError('INJECTION_FAILED', `${this.name} runs inside the harness: it cannot take ${sig}`);
  }
  async kill(): Promise<void> {
    await this.stop();
  }
  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    await s?.close();
  }
  async pause(): Promise<void> {
    throw new HarnessError('INJECTION_FAILED', `${this.name} runs inside the harness and cannot be paused`);
  }
  async resume(): Promise<void> {}
  async start(): Promise<void> {
    if (this.#server) return;
    const server = new S3rver({
      address: '127.0.0.1',
      port: this.endpoints.https!.port,
      silent: true,
      directory: this.directory,
      key: readFileSync(this.tls.key),
      cert: readFileSync(this.tls.cert),
      configureBuckets: [{ name: this.bucket }],
    } as ConstructorParameters<typeof S3rver>[0]);
    await server.run();
    this.#server = server;
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
  async waitReady(): Promise<void> {
    if (!this.#server) throw new HarnessError('NOT_READY', `${this.name} is stopped`);
  }
}
