// Recovery of a destroyed PostgreSQL database from its backups (postgres-backup): the newest base
// backup restored and the archived WAL replayed to the latest point (or to just before a mistake),
// postgres started writable, and the restored tables verified against their content before the
// fault. Reports the backup's age at the fault, the restore's duration and throughput, and a
// projection of the restore time for a stated size, labelled as such.
import { z } from 'zod';
import type { RecoveryAction, RecoveryStep } from '../core/types.js';
import { byteSize } from '../scenario/byte-size.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { compareChecksums, getPgBackup } from '../stacks/postgres-backup.js';

export const postgresRestoreParams = withMsNames(
  z
    .strictObject({
      to: z
        .enum(['auto', 'latest', 'before-fault'])
        .default('auto')
        .describe(
          'latest: replay all archived WAL; before-fault: recover to the time the fault recorded (restoreBefore, e.g. just before a DROP TABLE); auto: before-fault when the fault recorded such a time, latest otherwise',
        ),
      projectTo: byteSize(1, 1e15)
        .default(200e9)
        .describe('the size to project the restore time for, from the measured throughput'),
      objective: positiveDuration
        .default(4 * 3_600_000)
        .describe('the restore time objective the projection is set against (the claim’s RTO)'),
    })
    .meta({
      description:
        'Restores a destroyed PostgreSQL database (postgres-backup): the newest pgBackRest base backup from S3 into an empty data directory, the archived WAL replayed (to the latest point or to just before the fault), postgres started writable; then every table loaded at bring-up is compared with its row count and checksum from before the fault (restore-rows-lost, restore-checksum-mismatches). Details: backup age at the fault, restore duration, throughput, and a projection of the restore time for projectTo, labelled as a projection.',
      examples: [{ to: 'latest', projectTo: '200GB', objective: '4h' }],
    }),
  ['objective'],
);

export type PostgresRestoreParams = z.infer<typeof postgresRestoreParams>;

const MB = 1e6;
const mb = (bytes: number) => `${(bytes / MB).toPrecision(3)} MB`;
function hms(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toPrecision(3)} s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}
const gb = (bytes: number) => `${Number((bytes / 1e9).toPrecision(4))} GB`;

export const postgresRestore: RecoveryAction<PostgresRestoreParams> = {
  params: postgresRestoreParams,
  async run(ctx, p, incident) {
    const ext = getPgBackup(ctx.env, 'postgres-restore', 'RECOVERY_FAILED');
    const injectWallMs = Date.parse(ctx.clock.isoAt(incident.injectStartMs));
    const before = incident.fault?.details.restoreBefore;
    const target: 'latest' | { time: string } =
      p.to === 'latest' || (p.to === 'auto' && typeof before !== 'string')
        ? 'latest'
        : { time: typeof before === 'string' ? before : ctx.clock.isoAt(incident.injectStartMs) };

    const r = await ext.restore(target, ctx.signal, () => ctx.clock.now());
    const steps: RecoveryStep[] = [
      { name: 'restore-base-backup', ...r.fetch },
      { name: 'replay-wal', ...r.replay },
    ];
    const v0 = ctx.clock.now();
    const found = await ext.checksums(
      ext.reference.map((t) => t.table),
      ctx.signal,
    );
    const { tables, verification: v } = compareChecksums(ext.reference, found);
    const result = v.checksumMismatches === 0 && v.rowsLost === 0 ? 'match' : 'MISMATCH';
    steps.push({
      name: 'verify-checksums',
      startMs: v0,
      endMs: ctx.clock.now(),
      detail: `${v.rowsMatched} of ${v.rowsCompared} rows in ${v.tablesCompared} table(s) matched; checksums: ${result}`,
    });

    const restoreMs = r.replay.endMs - r.fetch.startMs;
    const bytesPerSec = r.restoredBytes / (restoreMs / 1000);
    const projectedMs = (p.projectTo / bytesPerSec) * 1000;
    const backupAgeMs = injectWallMs - r.backup.stoppedAtMs;
    ctx.emit(
      'restored',
      `postgres-restore: ${mb(r.restoredBytes)} restored in ${hms(restoreMs)}; checksums ${result}`,
    );
    return {
      steps,
      verification: v,
      details: {
        backup: `${r.backup.label} (${r.backup.type}), finished ${new Date(r.backup.stoppedAtMs).toISOString()}, ${mb(r.backup.bytes)} (${mb(r.backup.repoBytes)} in the repository)`,
        backupAgeAtFault: `${hms(backupAgeMs)} (fault at ${new Date(injectWallMs).toISOString()})`,
        backupAgeAtFaultMs: Math.round(backupAgeMs),
        restoredTo: target === 'latest' ? 'latest (end of the archived WAL)' : `before ${target.time}`,
        restoreDuration: `${hms(restoreMs)} (base backup ${hms(r.fetch.endMs - r.fetch.startMs)}, WAL replay and start ${hms(r.replay.endMs - r.replay.startMs)})`,
        restoreDurationMs: Math.round(restoreMs),
        restoredBytes: r.restoredBytes,
        throughput: `${mb(bytesPerSec)}/s (${mb(r.restoredBytes)} in ${hms(restoreMs)})`,
        throughputBytesPerSec: Math.round(bytesPerSec),
        rowsCompared: v.rowsCompared,
        rowsMatched: v.rowsMatched,
        rowsLost: v.rowsLost,
        checksums: `${result} (${v.tablesCompared - v.checksumMismatches} of ${v.tablesCompared} table(s))`,
        tables,
        projection: `PROJECTION, not a measurement: ${gb(p.projectTo)} at the measured ${mb(bytesPerSec)}/s would take ${hms(projectedMs)}; objective ${hms(p.objectiveMs)}: ${projectedMs <= p.objectiveMs ? 'within' : 'OVER'}`,
        projectionInputs: {
          projectToBytes: p.projectTo,
          measuredBytes: r.restoredBytes,
          measuredRestoreMs: Math.round(restoreMs),
          throughputBytesPerSec: Math.round(bytesPerSec),
          projectedMs: Math.round(projectedMs),
          objectiveMs: p.objectiveMs,
          assumes:
            'restore time grows linearly with the size at the throughput measured here (same machine, same WAL volume)',
        },
      },
    };
  },
};
