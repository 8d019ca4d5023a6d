// What the lifecycle is given instead of importing it: the providers, the kind registries and the
// claim on a report directory. src/run-scenario.ts passes the built-ins; tests pass fakes.

import { HarnessError } from '../errors.js';
import type { Providers } from '../provider.js';
import type { AnyInjector, AnyProbe, AnyRecoveryAction } from '../types.js';

export interface Kinds {
  injectors: Readonly<Record<string, AnyInjector>>;
  probes: Readonly<Record<string, AnyProbe>>;
  actions: Readonly<Record<string, AnyRecoveryAction>>;
}

export interface RunDeps {
  readonly providers: Providers;
  readonly kinds: Kinds;
  /**
   * Create the report directory and claim it for this run, or throw (before anything starts) when
   * a live run holds it. Disposing the claim releases it.
   */
  claimRunDir(dir: string, runId: string, scenario: string): Disposable;
}

/** A registry entry; the loader already rejected unknown kinds, so a miss here is a harness bug. */
export function lookupKind<T>(registry: Readonly<Record<string, T>>, kind: string, what: string): T {
  const impl = registry[kind];
  if (!impl) throw new HarnessError('UNKNOWN_KIND', `unknown ${what} kind "${kind}"`);
  return impl;
}
