import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { ZodType, z } from 'zod';
import { builtinActions } from '../actions/index.js';
import {
  errorMessage,
  formatPath,
  HarnessError,
  ValidationError,
  type ValidationIssue,
} from '../core/errors.js';
import type { MetricUnit } from '../core/report-model.js';
import type { TargetSelector } from '../core/types.js';
import { builtinInjectors } from '../injectors/index.js';
import { builtinProbes } from '../probes/index.js';
import { isComposeEnvironment, loadComposeEnvironment } from './compose-environment.js';
import { MAX_TIMER_MS, parseDuration } from './duration.js';
import { fieldsAt, unknownFieldMessage } from './known-fields.js';
import { METRICS, SERIES_METRICS } from './metrics.js';
import {
  declaredReference,
  type EnvironmentFileSpec,
  environmentFile,
  type FaultEntry,
  faultEntry,
  probeEntry,
  type ScenarioSpec,
  scenario as scenarioSchema,
  type TargetSpec,
  targetsFile,
  unknownSubstitution,
} from './schema.js';
import { substitute } from './substitution.js';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

export interface ResolvedProbe {
  name: string;
  kind: string;
  intervalMs: number;
  timeoutMs: number;
  target: TargetSelector;
  params: unknown;
}

export interface ResolvedFault {
  kind: string;
  atMs: number;
  target: TargetSelector;
  params: unknown;
}

export interface ResolvedTarget {
  metric: string;
  unit: MetricUnit;
  /** null when the target has only a relative bound. */
  bound: number | null;
  /** As written; "" when there is no absolute bound. */
  boundText: string;
  /** `maxRegression: "+50%"`: at most baseline × (1 + ratio). */
  maxRegression?: { text: string; ratio: number };
  phase?: 'steady' | 'fault' | 'recovered';
  probe?: string;
  source: string;
}

export interface LoadedScenario {
  name: string;
  file: string;
  spec: ScenarioSpec;
  envName: string;
  envDir: string;
  probes: ResolvedProbe[];
  primaryProbe: string;
  /** Faults of each iteration. */
  iterations: { name?: string; faults: ResolvedFault[] }[];
  action?: { kind: string; params: unknown };
  targets: ResolvedTarget[];
}

/** Scenario, environment and targets files are a few KiB; anything this big is not one. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deeper than any real file needs; deeper structures only make validators recurse. */
export const MAX_NESTING = 64;

const documentError = (file: string, message: string) => new ValidationError(file, [{ path: '', message }]);

function readText(file: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT')
      throw new HarnessError('FILE_NOT_FOUND', `${file} does not exist`);
    throw new HarnessError('IO_ERROR', `${file}: cannot read: ${errorMessage(err)}`, { cause: err });
  }
  if (st.isDirectory()) throw documentError(file, 'is a directory; expected a YAML file');
  if (!st.isFile()) throw documentError(file, 'is not a regular file; expected a YAML file');
  if (st.size > MAX_FILE_BYTES) {
    throw documentError(file, `is ${st.size} bytes; expected a YAML file of at most ${MAX_FILE_BYTES} bytes`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new HarnessError('IO_ERROR', `${file}: cannot read: ${errorMessage(err)}`, { cause: err });
  }
  if (bytes.includes(0)) throw documentError(file, 'contains NUL bytes (a binary file?); expected YAML text');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw documentError(file, 'is not UTF-8 text; expected a YAML file');
  }
}

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || typeof value !== 'object' || value === null) return depth;
  let max = depth;
  for (const v of Object.values(value)) {
    max = Math.max(max, depthOf(v, limit, depth + 1));
    if (max > limit) break;
  }
  return max;
}

/**
 * Parse YAML. Whatever is wrong with the file (syntax, an alias bomb, nesting, a directory, binary
 * content, its size) becomes an error that names it; an empty file is `undefined`.
 */
export function readYaml(file: string): unknown {
  const text = readText(file);
  const doc = parseDocument(text, { prettyErrors: true });
  // The parser recurses per level: a deep enough file overflows the stack, at a depth that varies.
  if (doc.errors.some((e) => e.message.includes('Maximum call stack size exceeded'))) {
    throw documentError(file, `nested deeper than ${MAX_NESTING} levels`);
  }
  if (doc.errors.length > 0) {
    throw new ValidationError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}` })),
    );
  }
  let value: unknown;
  try {
    // The default maxAliasCount (100) stops "billion laughs" documents here.
    value = doc.toJS();
  } catch (err) {
    throw documentError(file, `YAML could not be read: ${errorMessage(err)}`);
  }
  if (depthOf(value, MAX_NESTING) > MAX_NESTING) {
    throw documentError(file, `nested deeper than ${MAX_NESTING} levels`);
  }
  return value ?? undefined;
}

function zodIssues(error: z.ZodError, schema?: ZodType): ValidationIssue[] {
  return error.issues.flatMap((i) => {
    const path = i.path as (string | number)[];
    // Zod puts an unknown key's issue on the parent object; the user needs the key's own path.
    if (i.code === 'unrecognized_keys') {
      const known = schema ? fieldsAt(schema, path) : undefined;
      return i.keys.map((k) => ({ path: formatPath([...path, k]), message: unknownFieldMessage(k, known) }));
    }
    // A record's bad key: zod says "Invalid key in record"; the key's own schema says what is expected.
    if (i.code === 'invalid_key') {
      const inner = i.issues.map((x) => x.message).join('; ');
      return [{ path: formatPath(path), message: `invalid name${inner ? `: ${inner}` : ''}` }];
    }
    return [{ path: formatPath(path), message: i.message }];
  });
}

export function parseWith<T>(schema: ZodType<T>, value: unknown, file: string): T {
  if (value === undefined || value === null) {
    throw new ValidationError(file, [{ path: '', message: 'the file is empty; expected a YAML mapping' }]);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(file, zodIssues(r.error, schema));
  return r.data;
}

export function metricUnit(metric: string): MetricUnit {
  return (METRICS as Record<string, { unit: MetricUnit }>)[metric]?.unit ?? SERIES_METRICS.unit;
}

function parseBound(t: TargetSpec & { max: number | string }): { bound: number } | { error: string } {
  const unit = metricUnit(t.metric);
  if (unit === 'ms') {
    const ms = parseDuration(t.max);
    return ms === undefined
      ? { error: `expected a duration such as "5m" or "200ms" for ${t.metric}` }
      : { bound: ms };
  }
  if (unit === 'ratio') {
    if (typeof t.max === 'string') {
      const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(t.max);
      if (m && Number(m[1]) <= 100) return { bound: Number(m[1]) / 100 };
      return { error: 'expected a fraction between 0 and 1 or a percentage from 0% to 100% such as "1%"' };
    }
    return t.max >= 0 && t.max <= 1 ? { bound: t.max } : { error: 'expected a fraction between 0 and 1' };
  }
  if (typeof t.max === 'number' && t.max >= 0) return { bound: t.max };
  return { error: `expected a non-negative number for ${t.metric}` };
}

/** "+50%" or "50%" → 0.5; null when it is not a non-negative percentage. */
export function parseRegression(text: string): number | null {
  const m = /^\s*\+?\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return m ? Number(m[1]) / 100 : null;
}

function resolveTargets(specs: readonly TargetSpec[], at: string, issues: ValidationIssue[]) {
  const out: ResolvedTarget[] = [];
  specs.forEach((t, i) => {
    const b = t.max === undefined ? { bound: null } : parseBound({ ...t, max: t.max });
    if ('error' in b) {
      issues.push({ path: `${at}[${i}].max`, message: `${b.error}, got ${JSON.stringify(t.max)}` });
      return;
    }
    const ratio = t.maxRegression === undefined ? undefined : parseRegression(t.maxRegression);
    if (ratio === null) {
      issues.push({
        path: `${at}[${i}].maxRegression`,
        message: `expected a percentage such as "+50%" (how far above the baseline median the measured value may go), got ${JSON.stringify(t.maxRegression)}`,
      });
      return;
    }
    const r: ResolvedTarget = {
      metric: t.metric,
      unit: metricUnit(t.metric),
      bound: b.bound,
      boundText: t.max === undefined ? '' : String(t.max),
      source: t.source,
    };
    if (t.maxRegression !== undefined && ratio !== undefined)
      r.maxRegression = { text: t.maxRegression, ratio };
    if (t.phase) r.phase = t.phase;
    if (t.probe) r.probe = t.probe;
    out.push(r);
  });
  return out;
}

function validateKind(
  registry: Record<string, { params: ZodType }>,
  what: string,
  entry: { kind: string } & Record<string, unknown>,
  common: readonly string[],
  at: string,
  issues: ValidationIssue[],
): unknown {
  const impl = registry[entry.kind];
  if (!impl) {
    const known = Object.keys(registry).sort().join(', ') || '(none registered)';
    issues.push({
      path: `${at}.kind`,
      message: `unknown ${what} kind "${entry.kind}"; expected one of: ${known}`,
    });
    return undefined;
  }
  // The kind's own fields are the entry's minus the common ones; their names are the YAML keys.
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!common.includes(k)) params[k] = v;
  const fields = fieldsAt(impl.params, []);
  if (fields) {
    for (const k of Object.keys(params)) {
      if (!fields.includes(k)) {
        issues.push({
          path: `${at}.${k}`,
          message: unknownFieldMessage(k, [...common, ...fields], `field for kind "${entry.kind}"`),
        });
      }
    }
  }
  const r = impl.params.safeParse(params);
  if (!r.success) {
    for (const i of r.error.issues) {
      // Already reported above with the kind's list of fields.
      if (fields && i.code === 'unrecognized_keys' && i.path.length === 0) continue;
      issues.push({
        path: `${at}${i.path.length ? `.${formatPath(i.path as (string | number)[])}` : ''}`,
        message: i.message,
      });
    }
    return undefined;
  }
  return r.data;
}

/**
 * `…Ms` fields of parsed options that no Node.js timer can hold (an environment's options; the
 * kinds' durations are bounded by their duration schemas).
 */
export function timerFields(value: unknown, prefix = '', depth = 0): [string, number][] {
  if (typeof value !== 'object' || value === null || depth > MAX_NESTING) return [];
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' && k.endsWith('Ms') && !(v <= MAX_TIMER_MS)) out.push([path, v]);
    else out.push(...timerFields(v, path, depth + 1));
  }
  return out;
}

/** environments/<name>, or a path (relative to the scenario file) to an environment folder. */
export function resolveEnvironmentDir(ref: string, relativeTo: string): string {
  if (ref.includes('/') || ref.startsWith('.')) return isAbsolute(ref) ? ref : resolve(relativeTo, ref);
  return join(PROJECT_ROOT, 'environments', ref);
}

export function environmentKind(dir: string): 'yaml' | 'ts' | undefined {
  if (existsSync(join(dir, 'environment.ts'))) return 'ts';
  if (existsSync(join(dir, 'environment.yaml'))) return 'yaml';
  return undefined;
}

/** A scenario name (scenarios/<name>.yaml) or a path to a YAML file. */
export function resolveScenarioFile(ref: string): string {
  if (ref.endsWith('.yaml') || ref.endsWith('.yml') || ref.includes('/')) {
    const p = resolve(ref);
    if (!existsSync(p)) throw new HarnessError('FILE_NOT_FOUND', `scenario file ${p} does not exist`);
    return p;
  }
  const p = join(PROJECT_ROOT, 'scenarios', `${ref}.yaml`);
  if (!existsSync(p)) {
    throw new HarnessError(
      'UNKNOWN_SCENARIO',
      `no scenario named "${ref}" (looked for ${p}); \`npm run scenario list\` shows the scenarios`,
    );
  }
  return p;
}

export function loadTargetsFile(file: string): ResolvedTarget[] {
  if (!existsSync(file)) return [];
  const spec = parseWith(targetsFile, readYaml(file) ?? { targets: [] }, file);
  const issues: ValidationIssue[] = [];
  const out = resolveTargets(spec.targets, 'targets', issues);
  if (issues.length) throw new ValidationError(file, issues);
  return out;
}

export function loadEnvironmentFile(file: string): EnvironmentFileSpec {
  const spec = parseWith(environmentFile, readYaml(file), file);
  // A build context is a path relative to this file: check it here, not when a run gets to it.
  const issues: ValidationIssue[] = [];
  for (const [name, s] of Object.entries(spec.services)) {
    if (!s.build) continue;
    const context = resolve(dirname(file), s.build.context);
    const isDir = existsSync(context) && statSync(context).isDirectory();
    if (!isDir) {
      issues.push({
        path: `services.${name}.build.context`,
        message: `expected a folder with a Dockerfile; ${context} ${existsSync(context) ? 'is not a folder' : 'does not exist'}`,
      });
    } else if (!existsSync(join(context, s.build.dockerfile))) {
      issues.push({
        path: `services.${name}.build.dockerfile`,
        message: `expected a Dockerfile; ${join(context, s.build.dockerfile)} does not exist`,
      });
    }
  }
  // Templates too: a reference they make must be declared in this file.
  for (const [name, s] of Object.entries(spec.services)) {
    for (const [i, f] of s.files.entries()) {
      if (f.template === undefined) continue;
      const path = `services.${name}.files[${i}].template`;
      const tpl = resolve(dirname(file), f.template);
      if (!existsSync(tpl) || !statSync(tpl).isFile()) {
        issues.push({ path, message: `expected a template file; ${tpl} does not exist` });
        continue;
      }
      substitute(
        readFileSync(tpl, 'utf8'),
        (ref) => (declaredReference(spec, name, ref) ? '' : undefined),
        (whole) => issues.push({ path, message: `${tpl}: ${unknownSubstitution(whole)}` }),
      );
    }
  }
  if (issues.length) throw new ValidationError(file, issues);
  return spec;
}

const PROBE_COMMON = Object.keys(probeEntry.shape);
const FAULT_COMMON = Object.keys(faultEntry.shape);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** metric + phase: a target that replaces another for the same metric and phase. */
const targetKey = (t: { metric?: unknown; phase?: unknown }) =>
  `${String(t.metric)}|${String(t.phase ?? '')}`;

/**
 * The YAML of a scenario with its `extends` chain applied: the base scenario (validated on its own,
 * so its errors name its file) with this file's fields on top.
 */
function readScenarioYaml(file: string, chain: readonly string[]): unknown {
  const raw = readYaml(file);
  if (!isRecord(raw) || raw.extends === undefined) return raw;
  const ref = raw.extends;
  const fail = (message: string) => new ValidationError(file, [{ path: 'extends', message }]);
  if (typeof ref !== 'string' || ref === '')
    throw fail('expected the name of a scenario under scenarios/ or a path to its YAML file');
  const baseFile =
    ref.endsWith('.yaml') || ref.endsWith('.yml') || ref.includes('/')
      ? resolve(dirname(file), ref)
      : join(PROJECT_ROOT, 'scenarios', `${ref}.yaml`);
  if (!existsSync(baseFile)) throw fail(`no scenario "${ref}" (looked for ${baseFile})`);
  if (baseFile === file || chain.includes(baseFile))
    throw fail(`circular: ${[...chain, file, baseFile].map((f) => basename(f)).join(' → ')}`);
  const base = readScenarioYaml(baseFile, [...chain, file]) as Record<string, unknown>;
  buildScenario(baseFile, base);
  const { extends: _, ...own } = raw;
  const merged: Record<string, unknown> = { ...base, ...own };
  // An environment path the base gives is relative to the base's file, not to this one.
  const baseEnv = base.environment;
  if (own.environment === undefined && typeof baseEnv === 'string' && /^\.|\//.test(baseEnv))
    merged.environment = resolveEnvironmentDir(baseEnv, dirname(baseFile));
  if (isRecord(base.environmentOptions) && isRecord(own.environmentOptions))
    merged.environmentOptions = { ...base.environmentOptions, ...own.environmentOptions };
  if (Array.isArray(base.targets) && Array.isArray(own.targets)) {
    const replaced = new Set(own.targets.filter(isRecord).map(targetKey));
    merged.targets = [
      ...base.targets.filter((t) => !isRecord(t) || !replaced.has(targetKey(t))),
      ...own.targets,
    ];
  }
  return merged;
}

export type FailingEntry = NonNullable<NonNullable<ScenarioSpec['expect']>['failing']>[number];

/** Does a declared failing entry (`metric` or `{ metric, phase?, probe? }`) name this target? */
export function matchesTarget(
  entry: FailingEntry,
  t: { metric: string; phase?: string | undefined; probe?: string | undefined },
): boolean {
  if (typeof entry === 'string') return t.metric === entry;
  return (
    t.metric === entry.metric &&
    (entry.phase === undefined || entry.phase === t.phase) &&
    (entry.probe === undefined || entry.probe === t.probe)
  );
}

export function loadScenario(ref: string): LoadedScenario {
  const file = resolveScenarioFile(ref);
  return buildScenario(file, readScenarioYaml(file, []));
}

/** Validates a scenario's YAML (its `extends` already applied) and resolves it; errors name `file`. */
function buildScenario(file: string, raw: unknown): LoadedScenario {
  const spec = parseWith(scenarioSchema, raw, file);
  const issues: ValidationIssue[] = [];

  const envDir = resolveEnvironmentDir(spec.environment, dirname(file));
  const envName = basename(envDir);
  if (!existsSync(envDir) || !statSync(envDir).isDirectory() || !environmentKind(envDir)) {
    issues.push({
      path: 'environment',
      message: `no environment "${spec.environment}": expected ${envDir}/environment.yaml or environment.ts`,
    });
  }

  const probes: ResolvedProbe[] = [];
  const names = new Set<string>();
  spec.probes.forEach((p, i) => {
    if (names.has(p.name))
      issues.push({ path: `probes[${i}].name`, message: `duplicate probe name "${p.name}"` });
    names.add(p.name);
    if (p.interval !== undefined && p.rate !== undefined) {
      issues.push({ path: `probes[${i}].rate`, message: 'give either "interval" or "rate", not both' });
    }
    const params = validateKind(builtinProbes, 'probe', p, PROBE_COMMON, `probes[${i}]`, issues);
    const intervalMs = p.interval ?? (p.rate ? 1000 / p.rate : 100);
    probes.push({
      name: p.name,
      kind: p.kind,
      intervalMs,
      timeoutMs: p.timeout ?? 1000,
      target: p.target ?? {},
      params,
    });
  });
  const primaryProbe = spec.primaryProbe ?? spec.probes[0]?.name ?? '';
  if (spec.primaryProbe && !names.has(spec.primaryProbe)) {
    issues.push({ path: 'primaryProbe', message: `no probe named "${spec.primaryProbe}"` });
  }

  const resolveFaults = (faults: readonly FaultEntry[], at: string): ResolvedFault[] =>
    faults.map((f, i) => ({
      kind: f.kind,
      atMs: f.at ?? 0,
      target: f.target ?? {},
      params: validateKind(builtinInjectors, 'fault', f, FAULT_COMMON, `${at}[${i}]`, issues),
    }));

  let iterations: LoadedScenario['iterations'];
  if (spec.iterations && spec.faults) {
    issues.push({
      path: 'iterations',
      message: 'give either "faults" (with "repeat") or "iterations", not both',
    });
    iterations = [];
  } else if (spec.iterations) {
    if (spec.repeat !== 1)
      issues.push({ path: 'repeat', message: '"repeat" does not apply with "iterations"' });
    iterations = spec.iterations.map((it, i) => {
      const r: { name?: string; faults: ResolvedFault[] } = {
        faults: resolveFaults(it.faults, `iterations[${i}].faults`),
      };
      if (it.name) r.name = it.name;
      return r;
    });
  } else if (spec.faults && spec.faults.length > 0) {
    const faults = resolveFaults(spec.faults, 'faults');
    iterations = Array.from({ length: spec.repeat }, () => ({ faults }));
  } else {
    issues.push({ path: 'faults', message: 'expected at least one fault (or "iterations")' });
    iterations = [];
  }

  let action: LoadedScenario['action'];
  if (spec.recovery.action) {
    const params = validateKind(
      builtinActions,
      'recovery action',
      spec.recovery.action,
      ['kind'],
      'recovery.action',
      issues,
    );
    action = { kind: spec.recovery.action.kind, params };
  }

  const scenarioTargets = resolveTargets(spec.targets ?? [], 'targets', issues);
  for (const [i, t] of scenarioTargets.entries()) {
    if (t.probe && !names.has(t.probe))
      issues.push({ path: `targets[${i}].probe`, message: `no probe named "${t.probe}"` });
  }
  // A YAML environment and the targets file are checked here too, so a bad one is reported before
  // anything starts; every invalid file of the scenario is reported at once.
  const invalid: ValidationError[] = issues.length ? [new ValidationError(file, issues)] : [];
  const collect = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      invalid.push(err);
      return undefined;
    }
  };
  if (environmentKind(envDir) === 'yaml')
    collect(() =>
      isComposeEnvironment(envDir)
        ? loadComposeEnvironment(join(envDir, 'environment.yaml'))
        : loadEnvironmentFile(join(envDir, 'environment.yaml')),
    );
  const envTargets = collect(() => loadTargetsFile(join(envDir, 'targets.yaml'))) ?? [];
  const combined = ValidationError.combine(invalid);
  if (combined) throw combined;
  // A scenario's target replaces the environment's for the same metric and phase, whichever probe it names.
  const overridden = new Set(scenarioTargets.map(targetKey));
  const targets = [...envTargets.filter((t) => !overridden.has(targetKey(t))), ...scenarioTargets];
  if (targets.length === 0) {
    throw new ValidationError(file, [
      { path: 'targets', message: `no targets: add some here or in ${join(envDir, 'targets.yaml')}` },
    ]);
  }

  // A negative control must name targets it has, or "failed as expected" could never be true.
  for (const [i, entry] of (spec.expect?.failing ?? []).entries()) {
    if (!targets.some((t) => matchesTarget(entry, t))) {
      throw new ValidationError(file, [
        {
          path: `expect.failing[${i}]`,
          message: `no target matches ${JSON.stringify(entry)} (targets: ${targets.map((t) => `${t.metric}${t.phase ? ` [${t.phase}]` : ''}`).join(', ')})`,
        },
      ]);
    }
  }

  const loaded: LoadedScenario = {
    name: basename(file, extname(file)),
    file,
    spec,
    envName,
    envDir,
    probes,
    primaryProbe,
    iterations,
    targets,
  };
  if (action) loaded.action = action;
  return loaded;
}
