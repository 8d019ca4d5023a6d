// s3rver over HTTPS: pgBackRest's S3 driver speaks only TLS, so the run makes a self-signed
// certificate (openssl, a few ms) and s3rver serves it, in a process of its own (s3-tls-main.mjs).

import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService } from '../../src/core/types.js';
import { ManagedProcess } from '../../src/providers/local/managed-process.js';

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

/** 200 from GET / (ListBuckets) over TLS, the certificate not verified (it is the run's own). */
export function httpsOk(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host, port, path: '/', method: 'GET', rejectUnauthorized: false, timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** s3rver (HTTPS) as a local process of the run. */
export class LocalTlsS3 implements StartedService {
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly #proc: ManagedProcess;

  constructor(
    readonly name: string,
    port: number,
    opts: { dir: string; tls: TlsFiles; bucket: string; envDir: string; logFile: string; runId: string },
  ) {
    this.endpoints = { https: { host: '127.0.0.1', port } };
    this.#proc = new ManagedProcess({
      name: `postgres-backup ${name}`,
      command: process.execPath,
      args: [
        join(opts.envDir, 's3-tls-main.mjs'),
        ...['--port', String(port), '--dir', opts.dir, '--key', opts.tls.key, '--cert', opts.tls.cert],
        ...['--bucket', opts.bucket],
      ],
      cwd: opts.envDir,
      logFile: opts.logFile,
      runId: opts.runId,
    });
  }

  async role(): Promise<string | undefined> {
    return 'backup-store';
  }
  id(): string | undefined {
    return this.#proc.id();
  }
  running(): boolean {
    return this.#proc.running;
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    this.#proc.signal(sig);
  }
  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#proc.kill(sig);
  }
  async stop(graceMs = 5000): Promise<void> {
    await this.#proc.stop(graceMs);
  }
  async pause(): Promise<void> {
    this.#proc.signal('SIGSTOP');
  }
  async resume(): Promise<void> {
    this.#proc.signal('SIGCONT');
  }
  async start(signal?: AbortSignal): Promise<void> {
    if (!this.#proc.running) this.#proc.start();
    await this.waitReady(signal);
  }
  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }
  async waitReady(signal?: AbortSignal, timeoutMs = 15_000): Promise<void> {
    const { host, port } = this.endpoints.https!;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal?.aborted) {
      if (!this.#proc.running) {
        throw (
          this.#proc.spawnError ??
          new HarnessError(
            'PROCESS_EXITED',
            `postgres-backup ${this.name}: s3rver exited before it was ready (log ${this.#proc.logFile})`,
          )
        );
      }
      if (await httpsOk(host, port, 1000)) return;
      await sleep(50);
    }
    throw new HarnessError(
      'NOT_READY',
      `postgres-backup ${this.name}: https://${host}:${port}/ not ready after ${timeoutMs}ms`,
    );
  }
}
