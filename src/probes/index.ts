// Workload/probe kinds by scenario `kind`. Adding a kind is one file and one line here.
import type { Probe } from '../core/types.js';

export const builtinProbes = {
  // registry: one line per kind, keep sorted
} satisfies Record<string, Probe<never>>;

export type ProbeKind = keyof typeof builtinProbes;
