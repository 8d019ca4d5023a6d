// `--reporter <name|path>`: a built-in by name, or a module by path whose default export is a
// reporter (an object of hooks, or a class or function that makes one). Everything is resolved and
// checked before a run starts, so a typo costs nothing.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage, HarnessError } from '../core/errors.js';
import {
  BUILTIN_REPORTER_NAMES,
  builtinReporters,
  DEFAULT_REPORTERS,
  type ReporterOptions,
} from './index.js';
import { REPORTER_HOOKS, type Reporter } from './reporter.js';
import type { NamedReporter } from './reporter-set.js';

const FILE_REPORTER_METHODS = ['renderRun', 'renderSuite'];
const KNOWN: readonly string[] = [...REPORTER_HOOKS, ...FILE_REPORTER_METHODS];

const isBuiltin = (ref: string): ref is keyof typeof builtinReporters => Object.hasOwn(builtinReporters, ref);

/** A path rather than a name: has a slash or a module's extension. */
export function isReporterPath(ref: string): boolean {
  return /[\\/]/.test(ref) || /\.(m?js|cjs|m?ts|cts)$/.test(ref);
}

/** The complaint about a name that is neither a built-in nor a path; names every choice. */
export function checkReporterRef(ref: string): string {
  if (isBuiltin(ref) || isReporterPath(ref)) return ref;
  throw new HarnessError(
    'INVALID_INPUT',
    `--reporter: no reporter named "${ref}"; expected one of ${BUILTIN_REPORTER_NAMES.join(', ')}, or the path of a module whose default export is a reporter (e.g. ./my-reporter.js)`,
  );
}

function hookNames(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null)
    for (const k of Object.getOwnPropertyNames(o)) if (k !== 'constructor') names.add(k);
  return [...names];
}

/** Checks what a module made: every hook it has is a known one and a function. */
function asReporter(value: unknown, where: string): Reporter {
  if (typeof value !== 'object' || value === null)
    throw new HarnessError('INVALID_INPUT', `${where}: expected a reporter object, got ${typeof value}`);
  const names = hookNames(value);
  const unknown = names.filter((k) => /^on[A-Z]/.test(k) && !KNOWN.includes(k));
  if (unknown.length > 0)
    throw new HarnessError(
      'INVALID_INPUT',
      `${where}: unknown hook ${unknown.map((k) => `"${k}"`).join(', ')}; the hooks are ${REPORTER_HOOKS.join(', ')}`,
    );
  const hooks = names.filter((k) => KNOWN.includes(k));
  for (const k of hooks) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v !== 'function')
      throw new HarnessError('INVALID_INPUT', `${where}: ${k} must be a function, got ${typeof v}`);
  }
  if (hooks.length === 0)
    throw new HarnessError('INVALID_INPUT', `${where}: has none of the hooks ${REPORTER_HOOKS.join(', ')}`);
  return value as Reporter;
}

const isClass = (fn: (...a: unknown[]) => unknown) =>
  /^class[\s{]/.test(Function.prototype.toString.call(fn));

async function loadModule(ref: string, options: ReporterOptions, cwd: string): Promise<Reporter> {
  const file = resolve(cwd, ref);
  if (!existsSync(file) || !statSync(file).isFile())
    throw new HarnessError('FILE_NOT_FOUND', `--reporter ${ref}: no such file ${file}`);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new HarnessError('INVALID_INPUT', `--reporter ${ref}: cannot load ${file}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const where = `--reporter ${ref} (${file})`;
  const d = mod.default;
  if (d === undefined)
    throw new HarnessError(
      'INVALID_INPUT',
      `${where}: no default export; expected a reporter object, or a class or function that makes one`,
    );
  if (typeof d !== 'function') return asReporter(d, where);
  const make = d as (...a: unknown[]) => unknown;
  try {
    const made = isClass(make)
      ? new (make as unknown as new (o: ReporterOptions) => unknown)(options)
      : make(options);
    return asReporter(await made, where);
  } catch (err) {
    if (err instanceof HarnessError) throw err;
    throw new HarnessError('INVALID_INPUT', `${where}: making the reporter failed: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** The reporters for `refs` (default: DEFAULT_REPORTERS), each made once, in the order given. */
export async function loadReporters(
  refs: readonly string[],
  options: ReporterOptions,
  cwd = process.cwd(),
): Promise<NamedReporter[]> {
  const out: NamedReporter[] = [];
  for (const ref of new Set(refs.length > 0 ? refs : DEFAULT_REPORTERS)) {
    checkReporterRef(ref);
    const reporter = isBuiltin(ref) ? builtinReporters[ref](options) : await loadModule(ref, options, cwd);
    out.push({ name: ref, reporter });
  }
  return out;
}
