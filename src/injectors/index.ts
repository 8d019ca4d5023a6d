// Fault kinds by scenario `kind`. Adding a kind is one file and one line here.
import type { Injector } from '../core/types.js';

export const builtinInjectors = {
  // registry: one line per kind, keep sorted
} satisfies Record<string, Injector<never>>;

export type InjectorKind = keyof typeof builtinInjectors;
