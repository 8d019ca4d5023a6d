// Typed extensions of a started environment: what a kind of stack offers its probes, injectors and
// actions beyond services (a database controller, a Sentinel topology, a deploy pipeline). Each
// contract is declared once, as a key that carries its type; an environment provides a value for a
// key and a consumer gets it back typed, or an error naming what the environment lacks.

import { type ErrorCode, HarnessError } from './errors.js';

/** A slot of one contract's type. `what` completes "environment X offers no …" in errors. */
export interface ExtensionKey<T> {
  readonly name: string;
  readonly what: string;
  /** Type carrier only; never set. */
  readonly __value?: T;
}

export function extensionKey<T>(name: string, what: string): ExtensionKey<T> {
  return { name, what };
}

export interface Provided {
  readonly key: ExtensionKey<unknown>;
  readonly value: unknown;
}

/** One entry for `new Extensions(...)`: the value is checked against the key's type here. */
export function provide<T>(key: ExtensionKey<T>, value: T): Provided {
  return { key, value };
}

export class Extensions {
  readonly #values = new Map<ExtensionKey<unknown>, unknown>();

  constructor(...provided: Provided[]) {
    for (const p of provided) this.#values.set(p.key, p.value);
  }

  set<T>(key: ExtensionKey<T>, value: T): void {
    this.#values.set(key, value);
  }

  get<T>(key: ExtensionKey<T>): T | undefined {
    // The only cast: values go in only through set/provide, typed by the same key.
    return this.#values.get(key) as T | undefined;
  }

  /** The value, or a HarnessError: "<who>: environment "<env>" offers no <key.what><hint>". */
  require<T>(key: ExtensionKey<T>, ctx: { env: string; who: string; code: ErrorCode; hint?: string }): T {
    const v = this.get(key);
    if (v === undefined) {
      throw new HarnessError(
        ctx.code,
        `${ctx.who}: environment "${ctx.env}" offers no ${key.what}${ctx.hint ? `; ${ctx.hint}` : ''}`,
      );
    }
    return v;
  }

  /** Names of the contracts provided, for reports and errors. */
  names(): string[] {
    return [...this.#values.keys()].map((k) => k.name);
  }
}

/**
 * Awaited between iterations so the next one starts from a whole stack (a killed node rejoined),
 * not mid-repair. Resolves when healthy; rejects after timeoutMs.
 */
export type WaitHealthy = (signal: AbortSignal, timeoutMs: number) => Promise<unknown>;
export const WAIT_HEALTHY = extensionKey<WaitHealthy>('waitHealthy', 'health check between iterations');
