// The deploy pipeline's line protocol, and a poller that follows its log file. A pipeline prints
//   STEP <name> <start|ok|fail|skip> <iso time> <detail>
//   RESULT <deployed|rolled-back|failed> <iso time> <detail>
// Anything else (stack traces, tool output) is kept in the log and ignored here.
import { open } from 'node:fs/promises';

export type StepStatus = 'start' | 'ok' | 'fail' | 'skip';

export type DeployLine =
  | { type: 'step'; name: string; status: StepStatus; at: string; detail: string }
  | { type: 'result'; outcome: string; at: string; detail: string };

const STEP = /^STEP (\S+) (start|ok|fail|skip) (\S+) ?(.*)$/;
const RESULT = /^RESULT (\S+) (\S+) ?(.*)$/;

export function parseDeployLine(line: string): DeployLine | undefined {
  const s = STEP.exec(line);
  if (s)
    return { type: 'step', name: s[1] ?? '', status: s[2] as StepStatus, at: s[3] ?? '', detail: s[4] ?? '' };
  const r = RESULT.exec(line);
  if (r) return { type: 'result', outcome: r[1] ?? '', at: r[2] ?? '', detail: r[3] ?? '' };
  return undefined;
}

/**
 * Follows a growing log file (the environment runs the pipeline with its output going to a file).
 * Polling is enough: lines carry their own timestamps, so poll lag does not skew step times.
 */
export class LogFollower {
  readonly #file: string;
  readonly #onLine: (line: string) => void;
  #offset = 0;
  #partial = '';
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();

  constructor(file: string, onLine: (line: string) => void, intervalMs = 50) {
    this.#file = file;
    this.#onLine = onLine;
    this.#timer = setInterval(() => {
      this.#reading = this.#reading.then(() => this.#read());
    }, intervalMs);
  }

  async #read(): Promise<void> {
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    try {
      fh = await open(this.#file, 'r');
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
        if (bytesRead === 0) break;
        this.#offset += bytesRead;
        const lines = (this.#partial + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        this.#partial = lines.pop() ?? '';
        for (const l of lines) this.#onLine(l);
      }
    } catch {
      // not created yet
    } finally {
      await fh?.close();
    }
  }

  /** Reads what is left (including an unterminated last line) and stops polling. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#reading;
    await this.#read();
    if (this.#partial) this.#onLine(this.#partial);
    this.#partial = '';
  }
}
