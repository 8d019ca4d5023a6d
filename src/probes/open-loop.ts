import type { Clock, OpRecord, Outcome } from '../core/types.js';

export interface OpResult {
  outcome?: Outcome;
  key?: string;
  /** Why, for an outcome other than ok (e.g. an `unknown` write whose connection was reset). */
  error?: string;
}

export interface OpenLoopOptions {
  intervalMs: number;
  timeoutMs: number;
  clock: Clock;
  /**
   * One operation. Throwing means `fail`; exceeding timeoutMs means `unknown` (the op's
   * signal is aborted). Return `{ key }` for writes so they can be read back.
   * `key` is passed so writes can record what they try to write before knowing the outcome.
   */
  op: (signal: AbortSignal, id: number) => Promise<OpResult | undefined>;
  /** Key of op `id` when it is known up front (writes): recorded even for timeouts. */
  keyFor?: (id: number) => string;
  /** Turns an error into the short text stored in the record. */
  describeError?: (err: unknown) => string;
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Issues operations at a fixed rate regardless of how long each takes (open loop): a hung
 * request does not delay the next one, so an outage shows up as failures and latency,
 * not as silence. Ticks are scheduled against absolute times so the rate does not drift.
 */
export class OpenLoop {
  readonly #opts: OpenLoopOptions;
  readonly #ops: OpRecord[] = [];
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  #stopped = false;
  #startMs = 0;
  #issued = 0;

  constructor(opts: OpenLoopOptions) {
    this.#opts = opts;
  }

  get ops(): readonly OpRecord[] {
    return this.#ops;
  }

  /** Requested vs achieved issue rate, for the report. */
  rate(): { requestedPerSec: number; achievedPerSec: number; issued: number } {
    const elapsed = (this.#opts.clock.now() - this.#startMs) / 1000;
    return {
      requestedPerSec: 1000 / this.#opts.intervalMs,
      achievedPerSec: elapsed > 0 ? this.#issued / elapsed : 0,
      issued: this.#issued,
    };
  }

  start(): void {
    this.#startMs = this.#opts.clock.now();
    this.#tick(this.#startMs);
  }

  #tick(scheduledMs: number): void {
    if (this.#stopped) return;
    this.#issue();
    const now = this.#opts.clock.now();
    let next = scheduledMs + this.#opts.intervalMs;
    // If the event loop stalled for several intervals, skip the missed ticks rather than burst.
    if (next < now) next = now + (this.#opts.intervalMs - ((now - scheduledMs) % this.#opts.intervalMs));
    this.#timer = setTimeout(() => this.#tick(next), Math.max(0, next - now));
  }

  #issue(): void {
    const { clock, timeoutMs, op, keyFor, describeError = errorText } = this.#opts;
    const id = this.#nextId++;
    this.#issued++;
    const startMs = clock.now();
    const ac = new AbortController();
    const key = keyFor?.(id);
    const record = (outcome: Outcome, extra: { error?: string; key?: string | undefined }) => {
      const rec: OpRecord = { id, startMs, endMs: clock.now(), outcome };
      const k = extra.key ?? key;
      if (k !== undefined) rec.key = k;
      if (extra.error !== undefined) rec.error = extra.error;
      this.#ops.push(rec);
    };
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      ac.abort(new Error(`timed out after ${timeoutMs}ms`));
      record('unknown', { error: `timeout after ${timeoutMs}ms` });
    }, timeoutMs);
    const p = (async () => {
      try {
        const res = await op(ac.signal, id);
        if (settled) return;
        settled = true;
        record(res?.outcome ?? 'ok', { key: res?.key, ...(res?.error ? { error: res.error } : {}) });
      } catch (err) {
        if (settled) return;
        settled = true;
        record('fail', { error: describeError(err) });
      } finally {
        clearTimeout(timer);
      }
    })();
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  /**
   * Stop issuing and wait for in-flight ops. Each op is already recorded as `unknown` at its
   * timeout, so an op that ignores its abort signal cannot hold the run up past this bound.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#opts.timeoutMs + 1000);
    });
    await Promise.race([Promise.allSettled([...this.#inflight]), bound]);
    clearTimeout(timer);
  }
}
