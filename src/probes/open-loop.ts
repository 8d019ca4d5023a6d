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
  /** Group of op `id` (OpRecord.group), when the probe spreads its operations over parts. */
  groupFor?: (id: number) => string;
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
 * Overdue slots further behind than this are skipped instead of issued in a burst (a harness
 * stalled for seconds would otherwise fire seconds of operations at once). Skipped slots are not
 * forgotten: they are the gaps between the ops' `scheduledMs`, which the schedule math
 * (core/metrics/schedule.ts) counts as late.
 */
export const MAX_CATCH_UP_MS = 1000;
/** At most this many ops are issued per timer callback, so responses are read in between. */
const MAX_PER_TICK = 256;

/**
 * Issues operations at a fixed rate regardless of how long each takes (open loop): a hung
 * request does not delay the next one, so an outage shows up as failures and latency,
 * not as silence. Slot k is due at start + k·interval (absolute, so the rate does not drift);
 * each op records the slot it was issued for (`scheduledMs`) besides when it started, so the
 * report can tell how far the scheduler itself fell behind (coordinated omission). Timers fire
 * no more often than every millisecond or so: at shorter intervals one callback issues every
 * slot that is due.
 */
export class OpenLoop {
  readonly #opts: OpenLoopOptions;
  readonly #ops: OpRecord[] = [];
  readonly #inflight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #nextId = 0;
  #nextSlot = 0;
  #stopped = false;
  #startMs = 0;

  constructor(opts: OpenLoopOptions) {
    this.#opts = opts;
  }

  get ops(): readonly OpRecord[] {
    return this.#ops;
  }

  start(): void {
    this.#startMs = this.#opts.clock.now();
    this.#tick();
  }

  #slotMs(k: number): number {
    return this.#startMs + k * this.#opts.intervalMs;
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const { clock, intervalMs } = this.#opts;
    const now = clock.now();
    const due = Math.floor((now - this.#startMs) / intervalMs);
    const oldest = Math.ceil((now - MAX_CATCH_UP_MS - this.#startMs) / intervalMs);
    if (this.#nextSlot < oldest) this.#nextSlot = oldest;
    for (let n = 0; this.#nextSlot <= due && n < MAX_PER_TICK; n++) {
      this.#issue(this.#slotMs(this.#nextSlot));
      this.#nextSlot++;
    }
    const delay = this.#slotMs(this.#nextSlot) - clock.now();
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, delay));
  }

  #issue(scheduledMs: number): void {
    const { clock, timeoutMs, op, keyFor, groupFor, describeError = errorText } = this.#opts;
    const id = this.#nextId++;
    const startMs = clock.now();
    const ac = new AbortController();
    const key = keyFor?.(id);
    const group = groupFor?.(id);
    const record = (outcome: Outcome, extra: { error?: string; key?: string | undefined }) => {
      const rec: OpRecord = { id, scheduledMs, startMs, endMs: clock.now(), outcome };
      const k = extra.key ?? key;
      if (k !== undefined) rec.key = k;
      if (group !== undefined) rec.group = group;
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
