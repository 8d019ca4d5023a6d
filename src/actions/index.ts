// Recovery actions a scenario can name (`recovery.action.kind`). One file and one line each.
import type { RecoveryAction } from '../core/types.js';

export const builtinActions = {
  // registry: one line per kind, keep sorted
} satisfies Record<string, RecoveryAction<never>>;

export type ActionKind = keyof typeof builtinActions;
