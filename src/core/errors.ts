// One module of error classes with stable codes. Users see `message`; `--verbose` adds the stack.

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'FILE_NOT_FOUND'
  | 'UNKNOWN_SCENARIO'
  | 'UNKNOWN_ENVIRONMENT'
  | 'UNKNOWN_KIND'
  | 'BINARY_MISSING'
  | 'USER_NOT_FOUND'
  | 'PROCESS_RUNNING'
  | 'PROCESS_EXITED'
  | 'NOT_READY'
  | 'NO_SUCH_SERVICE'
  | 'NO_SUCH_ROLE'
  | 'NO_SUCH_DATA_FILE'
  | 'STEADY_STATE_NOT_REACHED'
  | 'INJECTION_FAILED'
  | 'RECOVERY_FAILED'
  | 'VERIFY_FAILED'
  | 'PROBE_FAILED'
  | 'PROBE_BEHIND_SCHEDULE'
  | 'OUT_DIR_IN_USE'
  | 'CONTAINERS_UNAVAILABLE'
  | 'IMAGE_MISSING'
  | 'IMAGE_BUILD_FAILED'
  | 'INTERRUPTED'
  | 'OUTPUT_DIR_UNUSABLE'
  | 'DISK_FULL'
  | 'IO_ERROR'
  | 'PROXY_API_ERROR'
  | 'REPORTER_FAILED'
  | 'INTERNAL';

export class HarnessError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
    this.code = code;
  }
}

export interface ValidationIssue {
  /** Path inside the file, e.g. `faults[1].at`. Empty for the whole document. */
  path: string;
  message: string;
}

/** Issues shown per file; a file with more says how many were left out. */
export const MAX_ISSUES_SHOWN = 20;

function issueLines(file: string, issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_SHOWN).map((i) => `  ${i.path || '(document)'}: ${i.message}`);
  if (issues.length > MAX_ISSUES_SHOWN) shown.push(`  ... and ${issues.length - MAX_ISSUES_SHOWN} more`);
  return `${file} is not valid:\n${shown.join('\n')}`;
}

/** A scenario or environment file that does not validate. Always exit code 2. */
export class ValidationError extends HarnessError {
  readonly file: string;
  readonly issues: readonly ValidationIssue[];
  /** Other files of the same scenario that are invalid too (its environment.yaml, targets.yaml). */
  readonly others: readonly ValidationError[];
  constructor(file: string, issues: readonly ValidationIssue[], others: readonly ValidationError[] = []) {
    super('INVALID_INPUT', [issueLines(file, issues), ...others.map((o) => o.message)].join('\n'));
    this.name = 'ValidationError';
    this.file = file;
    this.issues = issues;
    this.others = others;
  }

  /** One error for several invalid files, so every file's issues are reported at once. */
  static combine(errors: readonly ValidationError[]): ValidationError | undefined {
    const [first, ...rest] = errors.flatMap((e) => [new ValidationError(e.file, e.issues), ...e.others]);
    return first ? new ValidationError(first.file, first.issues, rest) : undefined;
  }
}

/** Some report files could not be written (a full disk): names each, and the ones that were written. */
export class ReportWriteError extends HarnessError {
  readonly written: readonly string[];
  readonly failed: readonly { path: string; message: string }[];
  constructor(
    written: readonly string[],
    failed: readonly { path: string; message: string }[],
    cause?: unknown,
  ) {
    const full = failed.some((f) => /ENOSPC|EDQUOT/.test(f.message));
    super(
      full ? 'DISK_FULL' : 'IO_ERROR',
      `could not write ${failed.map((f) => `${f.path} (${f.message})`).join(', ')}${written.length ? `; written: ${written.join(', ')}` : '; no report was written'}`,
      { cause },
    );
    this.name = 'ReportWriteError';
    this.written = written;
    this.failed = failed;
  }
}

/** Hooks of reporters that threw or did not settle: names each reporter, hook and what it said. */
export class ReporterError extends HarnessError {
  readonly failures: readonly { reporter: string; hook: string; message: string }[];
  constructor(failures: readonly { reporter: string; hook: string; message: string }[], cause?: unknown) {
    super(
      'REPORTER_FAILED',
      `${failures.length === 1 ? 'a reporter' : `${failures.length} reporter hooks`} failed: ${failures.map((f) => `${f.reporter} ${f.hook}: ${f.message}`).join('; ')}`,
      { cause },
    );
    this.name = 'ReporterError';
    this.failures = failures;
  }
}

/** `a.b[1].c` from a zod-style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

const SYSTEM_ERROR = /^E[A-Z0-9]+$/;

/** Node system errors (fs, net) carry a code such as ENOSPC and, for fs calls, the path. */
function systemErrorCode(code: string): ErrorCode {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'DISK_FULL';
  if (code === 'ENOENT') return 'FILE_NOT_FOUND';
  return 'IO_ERROR';
}

const field = (err: object, key: string): unknown => (err as Record<string, unknown>)[key];

/**
 * The text a user should see for anything thrown, including values that are not Errors:
 * toxiproxy-node-client rejects with a `ToxiproxyError` ({ name, message, stack }) and sometimes
 * with a bare string; HTTP clients attach `status` and `body`. Never "[object Object]".
 */
export function errorMessage(err: unknown): string {
  if (typeof err === 'string') return err;
  if (typeof err !== 'object' || err === null) return String(err);
  const raw = field(err, 'message');
  let message = typeof raw === 'string' && raw !== '' ? raw : undefined;
  const code = field(err, 'code');
  const path = field(err, 'path');
  // "ENOSPC: no space left on device, write" names no file: add the one the call was about.
  if (message && typeof path === 'string' && !message.includes(path)) message = `${message} (${path})`;
  if (message && typeof code === 'string' && !message.includes(code)) message = `${code}: ${message}`;
  const status = field(err, 'status') ?? field(err, 'statusCode');
  const body = field(err, 'body');
  const extra = [
    typeof status === 'number' || typeof status === 'string' ? `status ${status}` : undefined,
    typeof body === 'string' && body !== '' ? body.slice(0, 300) : undefined,
  ].filter((x): x is string => x !== undefined && !(message ?? '').includes(x));
  if (message) return extra.length ? `${message} (${extra.join(', ')})` : message;
  if (extra.length) return extra.join(': ');
  const name = field(err, 'name');
  if (typeof name === 'string' && name !== '') return name;
  try {
    const json = JSON.stringify(err);
    if (json && json !== '{}') return json.slice(0, 300);
  } catch {
    // circular: fall through
  }
  return Object.prototype.toString.call(err);
}

/** Anything thrown, as a HarnessError with a stable code and a readable message (the original is the cause). */
export function toHarnessError(err: unknown): HarnessError {
  if (err instanceof HarnessError) return err;
  const code = typeof err === 'object' && err !== null ? field(err, 'code') : undefined;
  const name = typeof err === 'object' && err !== null ? field(err, 'name') : undefined;
  let harnessCode: ErrorCode = 'INTERNAL';
  if (typeof code === 'string' && SYSTEM_ERROR.test(code)) harnessCode = systemErrorCode(code);
  else if (
    [name, (err as { constructor?: { name?: unknown } } | null)?.constructor?.name].some(
      (n) => n === 'ToxiproxyError' || n === 'AxiosError',
    )
  )
    harnessCode = 'PROXY_API_ERROR';
  return new HarnessError(harnessCode, errorMessage(err), { cause: err });
}

/** The user's view of any error: its message and stable code; the stack only with `verbose`. */
export function formatError(err: unknown, opts: { verbose?: boolean } = {}): string {
  const h = toHarnessError(err);
  // A ValidationError's message is the file and its list of issues; the code adds nothing.
  const text = h instanceof ValidationError ? h.message : `${h.message} [${h.code}]`;
  if (!opts.verbose)
    return h.code === 'INTERNAL' ? `${text}\n(run with --verbose for the stack trace)` : text;
  const stack = (h.cause as { stack?: unknown } | undefined)?.stack ?? h.stack;
  return typeof stack === 'string' ? `${text}\n${stack}` : text;
}
