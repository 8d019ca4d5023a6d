// Recovery for a damaged SQLite file: wait until the damage is detectable, stop the service,
// fetch the newest backup from S3 that passes integrity_check, put it in place, start again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { type DataFile, dataFilesOf } from '../core/data-files.js';
import { HarnessError } from '../core/errors.js';
import type { Incident, RecoveryAction, RecoveryResult, RecoveryStep, RunContext } from '../core/types.js';
import { checkSqliteDataFile, checkSqliteFile } from '../probes/sqlite-integrity.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { SQLITE_S3 } from '../stacks/sqlite-s3.js';
import { type S3Location, s3ClientFor } from './s3-client.js';

export const restoreFromS3Params = withMsNames(
  z
    .strictObject({
      service: z
        .string()
        .optional()
        .describe('the service to restore (default: the one the environment names, e.g. trade-store)'),
      path: z.string().default('db').describe("key of the service's data file (its `dataPaths` / files)"),
      waitForDetection: z
        .boolean()
        .default(true)
        .describe(
          'restore only once the damage is detected, as an operator would (RTO includes detection): a quick_check of the file fails, or a probe reported damage or lost data',
        ),
      detectInterval: positiveDuration.default(250).describe('how often the file is checked while waiting'),
      detectTimeout: positiveDuration.default(60_000).describe('how long to wait for detection'),
      onUndetected: z
        .enum(['restore', 'fail'])
        .default('restore')
        .describe('when the damage is never detected: restore anyway (recorded), or fail the action'),
      restorePoint: z
        .enum(['auto', 'newest-good', 'before-fault'])
        .default('auto')
        .describe(
          'newest-good: the newest backup that passes integrity_check; before-fault: the newest good one taken before injection started; auto: before-fault when the incident is lost data (the file is intact, so newer backups lack the lost writes too), newest-good otherwise',
        ),
      maxCandidates: z
        .number()
        .int()
        .positive()
        .default(20)
        .describe('newest backups tried before giving up'),
      s3Timeout: positiveDuration.default(10_000).describe('per S3 request'),
      stopGrace: positiveDuration
        .default(5000)
        .describe('stopping the service: SIGTERM, then SIGKILL after this long'),
      healthTimeout: positiveDuration
        .default(30_000)
        .describe('bound on the restarted service answering GET /health'),
    })
    .meta({
      description:
        'Restores a damaged SQLite file from its S3 backups (sqlite-s3): waits until the damage is detected, stops the service, fetches the newest suitable backup that passes integrity_check, puts it in place and starts the service again. Each of these is a recovery step (recovery-time).',
      examples: [{ detectTimeout: '20s', onUndetected: 'fail' }],
    }),
  ['detectInterval', 'detectTimeout', 's3Timeout', 'stopGrace', 'healthTimeout'],
);
export type RestoreFromS3Params = z.infer<typeof restoreFromS3Params>;

function s3Error(what: string, loc: S3Location, err: unknown): HarnessError {
  const e = err as { name?: string; code?: string; message?: string };
  const why = e.code ?? e.name ?? 'error';
  return new HarnessError(
    'RECOVERY_FAILED',
    `restore-from-s3: ${what} at ${loc.endpoint}/${loc.bucket}/${loc.prefix} failed: ${why}: ${e.message ?? String(err)}`,
    { cause: err },
  );
}

async function listBackups(s3: S3Client, loc: S3Location, timeoutMs: number, signal: AbortSignal) {
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix, ContinuationToken: token }),
      { abortSignal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) },
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // Keys start with the snapshot's ISO time, so the lexical order is the age order.
  return keys.sort((a, b) => (a.key < b.key ? 1 : -1));
}

async function waitHealthy(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const all = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  let last = 'no answer';
  while (!all.aborted) {
    try {
      const res = await fetch(url, { signal: AbortSignal.any([all, AbortSignal.timeout(2000)]) });
      last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50, undefined, { signal: all }).catch(() => undefined);
  }
  throw new HarnessError(
    'RECOVERY_FAILED',
    `restore-from-s3: ${url} not healthy after ${timeoutMs}ms (last: ${last})`,
  );
}

function restorePointFor(
  wanted: RestoreFromS3Params['restorePoint'],
  incident: Incident,
): { point: 'newest-good' | 'before-fault'; reason: string } {
  if (wanted !== 'auto') return { point: wanted, reason: 'set by the scenario' };
  const seen = incident.detection();
  if (seen?.data?.what === 'data-loss')
    return { point: 'before-fault', reason: `data loss detected: ${seen.message}` };
  return {
    point: 'newest-good',
    reason: seen ? `damage detected: ${seen.message}` : 'no probe reported lost data',
  };
}

export const restoreFromS3: RecoveryAction<RestoreFromS3Params> = {
  params: restoreFromS3Params,
  async run(ctx: RunContext, params: RestoreFromS3Params, incident: Incident): Promise<RecoveryResult> {
    const ext = ctx.env.extensions.require(SQLITE_S3, {
      env: ctx.env.name,
      who: 'restore-from-s3',
      code: 'RECOVERY_FAILED',
    });
    const service = await ctx.env.resolve({ service: params.service ?? ext.service }, ctx.signal);
    let file: DataFile;
    try {
      file = dataFilesOf(service).get(params.path);
    } catch (err) {
      throw new HarnessError('RECOVERY_FAILED', `restore-from-s3: ${(err as Error).message}`, { cause: err });
    }
    const steps: RecoveryStep[] = [];
    const step = async <T>(name: string, fn: () => Promise<T>, detail?: (r: T) => string): Promise<T> => {
      const startMs = ctx.clock.now();
      const r = await fn();
      const s: RecoveryStep = { name, startMs, endMs: ctx.clock.now() };
      const d = detail?.(r);
      if (d !== undefined) s.detail = d;
      steps.push(s);
      return r;
    };
    const details: Record<string, unknown> = {
      file: file.location,
      bucket: ext.s3.bucket,
      prefix: ext.s3.prefix,
    };

    if (params.waitForDetection) {
      const found = await step(
        'detect',
        async () => {
          const deadline = ctx.clock.now() + params.detectTimeoutMs;
          for (;;) {
            const seen = incident.detection();
            if (seen) return seen.message;
            const res = await checkSqliteDataFile(file, 'quick', ctx.signal);
            if (!res.ok) return `${file.location} failed quick_check: ${res.error}`;
            if (ctx.clock.now() >= deadline) return undefined;
            await sleep(params.detectIntervalMs, undefined, { signal: ctx.signal });
          }
        },
        (e) => e ?? `no damage found within ${params.detectTimeoutMs}ms`,
      );
      details.detected = found !== undefined;
      if (found === undefined) {
        ctx.emit(
          'undetected',
          `restore-from-s3: ${file.location} passed quick_check and no probe reported damage for ${params.detectTimeoutMs}ms`,
        );
        if (params.onUndetected === 'fail') {
          throw new HarnessError(
            'RECOVERY_FAILED',
            `restore-from-s3: no damage to ${file.location} detected within ${params.detectTimeoutMs}ms; nothing restored`,
          );
        }
      }
    }

    const point = restorePointFor(params.restorePoint, incident);
    details.restorePoint = point.point;
    details.restorePointReason = point.reason;
    // Backup keys start with the snapshot's wall-clock ISO time (see backup-agent.ts).
    const notAfter = point.point === 'before-fault' ? ctx.clock.isoAt(incident.injectStartMs) : undefined;
    if (notAfter) details.notAfter = notAfter;

    await step('stop-service', () => service.stop(params.stopGraceMs));
    const s3 = s3ClientFor(ext.s3);
    // Candidates are checked on the harness's machine, then put in place through the provider.
    const candidateDir = mkdtempSync(join(ctx.env.workDir, 'restore-candidate-'));
    const candidate = join(candidateDir, 'candidate.db');
    try {
      const keys = await step(
        'list-backups',
        () =>
          listBackups(s3, ext.s3, params.s3TimeoutMs, ctx.signal).catch((e) =>
            Promise.reject(s3Error('listing backups', ext.s3, e)),
          ),
        (k) => `${k.length} backup(s)`,
      );
      if (keys.length === 0) {
        throw new HarnessError(
          'RECOVERY_FAILED',
          `restore-from-s3: no backup to restore: s3://${ext.s3.bucket}/${ext.s3.prefix} is empty`,
        );
      }
      const eligible = notAfter
        ? keys.filter(
            (k) => k.key.slice(ext.s3.prefix.length, ext.s3.prefix.length + notAfter.length) <= notAfter,
          )
        : keys;
      if (eligible.length === 0) {
        throw new HarnessError(
          'RECOVERY_FAILED',
          `restore-from-s3: no backup to restore from before the fault (${notAfter}): the oldest of ${keys.length} in s3://${ext.s3.bucket}/${ext.s3.prefix} is ${keys.at(-1)?.key}`,
        );
      }
      const skipped: { key: string; error: string }[] = [];
      const chosen = await step(
        'fetch-and-verify',
        async () => {
          for (const { key } of eligible.slice(0, params.maxCandidates)) {
            let body: Uint8Array;
            try {
              const obj = await s3.send(new GetObjectCommand({ Bucket: ext.s3.bucket, Key: key }), {
                abortSignal: AbortSignal.any([ctx.signal, AbortSignal.timeout(params.s3TimeoutMs)]),
              });
              body = await obj.Body!.transformToByteArray();
            } catch (e) {
              throw s3Error(`fetching ${key}`, ext.s3, e);
            }
            writeFileSync(candidate, body);
            const res = checkSqliteFile(candidate, 'full');
            if (res.ok) return { key, bytes: body.length };
            skipped.push({ key, error: res.error });
            ctx.log(`restore-from-s3: skipping damaged backup ${key}: ${res.error}`);
          }
          const tried = Math.min(eligible.length, params.maxCandidates);
          throw new HarnessError(
            'RECOVERY_FAILED',
            `restore-from-s3: all ${tried} newest backup(s) in s3://${ext.s3.bucket}/${ext.s3.prefix} fail integrity_check ` +
              `(newest ${skipped[0]?.key}: ${skipped[0]?.error})`,
          );
        },
        (c) =>
          `${c.key} (${c.bytes} bytes, ${point.point}), ${skipped.length} damaged newer backup(s) skipped` +
          (notAfter ? `, ${keys.length - eligible.length} taken after the fault not considered` : ''),
      );
      details.backupKey = chosen.key;
      details.backupBytes = chosen.bytes;
      details.skipped = skipped;
      await step('replace-file', async () => {
        // A stale WAL would be replayed on top of the restored file.
        for (const suffix of ['-wal', '-shm']) await file.sidecar(suffix).remove(ctx.signal);
        await file.replace({ localFile: candidate }, ctx.signal);
      });
    } finally {
      s3.destroy();
      rmSync(candidateDir, { recursive: true, force: true });
    }
    await step('start-service', () => service.start(ctx.signal));
    const http = service.endpoints.http;
    if (http) {
      await step('wait-healthy', () =>
        waitHealthy(`http://${http.host}:${http.port}/health`, params.healthTimeoutMs, ctx.signal),
      );
    }
    return { steps, details };
  },
};
