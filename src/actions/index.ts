// Recovery actions a scenario can name (`recovery.action.kind`). One file and one line each.
import type { AnyRecoveryAction } from '../core/types.js';
import { commandAction } from './command.js';
import { postgresRestore } from './postgres-restore.js';
import { restoreFromS3 } from './restore-from-s3.js';

export const builtinActions = {
  // registry: one line per kind, keep sorted
  command: commandAction,
  'postgres-restore': postgresRestore,
  'restore-from-s3': restoreFromS3,
} satisfies Record<string, AnyRecoveryAction>;

export type ActionKind = keyof typeof builtinActions;
