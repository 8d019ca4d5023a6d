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
  | 'STEADY_STATE_NOT_REACHED'
  | 'INJECTION_FAILED'
  | 'RECOVERY_FAILED'
  | 'VERIFY_FAILED'
  | 'PROBE_FAILED'
  | 'OUT_DIR_IN_USE'
  | 'INTERRUPTED'
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

/** A scenario or environment file that does not validate. Always exit code 2. */
export class ValidationError extends HarnessError {
  readonly file: string;
  readonly issues: readonly ValidationIssue[];
  constructor(file: string, issues: readonly ValidationIssue[]) {
    const lines = issues.map((i) => `  ${i.path || '(document)'}: ${i.message}`);
    super('INVALID_INPUT', `${file} is not valid:\n${lines.join('\n')}`);
    this.name = 'ValidationError';
    this.file = file;
    this.issues = issues;
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
