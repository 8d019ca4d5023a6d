// What the `command` fault, probe and recovery action share: the scenario fields of a command, the
// `${...}` references it may make to the started environment, and how a result reads in a report.
// The process itself is the provider's business (RunContext.commands).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseReference, substitute } from '../scenario/substitution.js';
import { HarnessError } from './errors.js';
import type { HostCommandResult, HostCommands, RunContext } from './types.js';

export const COMMAND_REFERENCES = `\${services.<svc>.ports.<name>}, \${runDir} or \${workDir}`;

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;

/** Why `value` makes a reference a command cannot resolve, or undefined when it makes none. */
export function badCommandReference(value: string): string | undefined {
  for (const m of value.matchAll(REFERENCE)) {
    if (m[1]) continue;
    const ref = parseReference(m[2] ?? '');
    const whole = m[0];
    if (ref?.kind === 'port' && ref.service !== undefined) continue;
    if (ref?.kind === 'dir' && ref.name !== 'envDir') continue;
    const hint =
      ref?.kind === 'port'
        ? `; name the service: \${services.<svc>.ports.<name>}`
        : ref?.kind === 'dir'
          ? '; a command runs in the environment folder, so a relative path starts there'
          : '';
    return `unknown reference ${whole}; a command may use ${COMMAND_REFERENCES}${hint}`;
  }
  return undefined;
}

const argvItem = z.string().superRefine((s, c) => {
  const bad = badCommandReference(s);
  if (bad) c.addIssue({ code: 'custom', message: bad });
});

/** A program and its arguments; with `shell: true`, one script (checked by commandShape's refine). */
export const argv = z
  .array(argvItem, {
    error: 'expected a list: the program and its arguments ([./restore.sh, --to, latest])',
  })
  .min(1, 'expected the program and its arguments; got an empty list')
  .refine((a) => a[0] !== '', 'expected a program name first; got an empty string');

/** Fields of every command kind besides its argv fields. */
export const commandOptions = {
  shell: z
    .boolean()
    .default(false)
    .describe('run the one script given with /bin/sh -c (off: no shell, no quoting surprises)'),
  cwd: argvItem.optional().describe('working directory, relative to the environment folder (the default)'),
  env: z.record(z.string(), argvItem).optional().describe("added to the harness's environment"),
};

/** `shell: true` takes one script; issues at `<field>`. */
export function checkShell(
  fields: readonly string[],
  v: { shell: boolean } & Record<string, unknown>,
  c: z.RefinementCtx,
): void {
  if (!v.shell) return;
  for (const f of fields) {
    const a = v[f];
    if (Array.isArray(a) && a.length !== 1) {
      c.addIssue({
        code: 'custom',
        path: [f],
        message: `with shell: true, expected one script string (["pg_dump db | gzip > x"]); got ${a.length} items`,
      });
    }
  }
}

/** `value` with its references resolved from the environment as it is now (ports move on restart). */
export function resolveReferences(ctx: RunContext, value: string, what: string): string {
  return substitute(
    value,
    (ref) => {
      if (ref.kind === 'dir')
        return ref.name === 'runDir' ? ctx.env.runDir : ref.name === 'workDir' ? ctx.env.workDir : undefined;
      if (ref.kind !== 'port' || ref.service === undefined) return undefined;
      const svc = ctx.env.services.get(ref.service);
      if (!svc) {
        const has = [...ctx.env.services.keys()].join(', ') || 'none';
        throw new HarnessError('INVALID_INPUT', `${what}: no service "${ref.service}" (services: ${has})`);
      }
      const ep = svc.endpoints[ref.port];
      if (!ep) {
        const has = Object.keys(svc.endpoints).join(', ') || 'none';
        throw new HarnessError(
          'INVALID_INPUT',
          `${what}: service "${ref.service}" has no port "${ref.port}" (has: ${has})`,
        );
      }
      return ep.port;
    },
    (whole) => {
      throw new HarnessError('INVALID_INPUT', `${what}: cannot resolve ${whole}`);
    },
  );
}

export interface CommandFields {
  shell: boolean;
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
}

/** The resolved pieces of a HostCommand for `argv` and the shared fields. */
export function resolveCommand(
  ctx: RunContext,
  what: string,
  args: readonly string[],
  f: CommandFields,
): { argv: string[]; shell: boolean; cwd?: string; env?: Record<string, string> } {
  const r = (s: string) => resolveReferences(ctx, s, what);
  return {
    argv: args.map(r),
    shell: f.shell,
    ...(f.cwd !== undefined ? { cwd: r(f.cwd) } : {}),
    ...(f.env ? { env: Object.fromEntries(Object.entries(f.env).map(([k, v]) => [k, r(v)])) } : {}),
  };
}

/** The run's command runner, or an error that says this context cannot run commands. */
export function hostCommandsOf(ctx: RunContext, kind: string): HostCommands {
  if (!ctx.commands) {
    throw new HarnessError('INTERNAL', `${kind}: this run has no host command runner (RunContext.commands)`);
  }
  return ctx.commands;
}

/** "exit 3", "killed by SIGKILL", "timed out after 300 ms". */
export function describeExit(r: HostCommandResult, timeoutMs: number): string {
  if (r.timedOut) return `timed out after ${timeoutMs} ms`;
  if (r.exitCode !== null) return `exit ${r.exitCode}`;
  return `killed by ${r.signal ?? 'a signal'}`;
}

/** The last `max` characters of a command's output, on one line for events and op errors. */
export function shortTail(tail: string, max: number): string {
  const t = tail.trim().replace(/\s*\n\s*/g, ' | ');
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/** `<prefix>-1.log`, `-2`, ... in `dir`: one output file per command run, never appended to. */
export function freshOutputFile(dir: string, prefix: string): string {
  for (let i = 1; ; i++) {
    const f = join(dir, `${prefix}-${i}.log`);
    if (!existsSync(f)) return f;
  }
}
