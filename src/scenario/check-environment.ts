// What a scenario asks of its environment, checked before anything starts: the environment's
// options, the services and roles that probes and faults name, faults that need the fault proxy,
// and targets that a probe must be able to measure. `validate` and `run` both load scenarios
// through loadCheckedScenario, so they cannot disagree.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ZodType } from 'zod';
import { errorMessage, HarnessError, ValidationError, type ValidationIssue } from '../core/errors.js';
import type { AnyInjector, AnyProbe, ServiceDescription, TargetSelector } from '../core/types.js';
import { builtinInjectors } from '../injectors/index.js';
import { builtinProbes } from '../probes/index.js';
import type { EnvironmentModule } from '../providers/provider.js';
import {
  checkComposeProbes,
  describeComposeServices,
  isComposeEnvironment,
  loadComposeEnvironment,
} from './compose-environment.js';
import { TIMER_LIMIT_HINT } from './duration.js';
import { resolveEnvironmentOptions } from './environment-options.js';
import { fieldsAt, unknownFieldMessage } from './known-fields.js';
import {
  environmentKind,
  type LoadedScenario,
  loadEnvironmentFile,
  loadScenario,
  loadTargetsFile,
  PROJECT_ROOT,
  type ResolvedTarget,
  timerFields,
} from './load.js';

/** What an environment is, for given options, before it starts. */
export interface EnvironmentFacts {
  kind: 'yaml' | 'ts';
  /** Parsed options (defaults applied) for a TypeScript environment. */
  options: unknown;
  /** Undefined when a TypeScript environment does not declare them: service checks are skipped. */
  services: readonly ServiceDescription[] | undefined;
}

/** The default export of `<dir>/environment.ts`, with errors that name the file. */
export async function importEnvironmentModule(dir: string): Promise<EnvironmentModule> {
  const file = join(dir, 'environment.ts');
  let mod: { default?: EnvironmentModule };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: EnvironmentModule };
  } catch (err) {
    throw new HarnessError('INVALID_INPUT', `${file} could not be loaded: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (!mod.default || typeof mod.default.start !== 'function') {
    throw new HarnessError('INVALID_INPUT', `${file} must default-export an environment module with start()`);
  }
  return mod.default;
}

/**
 * Parses `environmentOptions` with the environment's schema; issues are reported at
 * `environmentOptions.<path>` of the scenario file. YAML environments take no options.
 */
export async function describeEnvironment(
  envDir: string,
  envName: string,
  options: Record<string, unknown> | undefined,
  issues: ValidationIssue[],
): Promise<EnvironmentFacts | undefined> {
  const kind = environmentKind(envDir);
  if (kind === undefined) return undefined;
  const given = options !== undefined && Object.keys(options).length > 0;
  if (kind === 'yaml' && isComposeEnvironment(envDir)) {
    if (given)
      issues.push({ path: 'environmentOptions', message: `environment "${envName}" takes no options` });
    const env = loadComposeEnvironment(join(envDir, 'environment.yaml'));
    return { kind, options: undefined, services: describeComposeServices(env) };
  }
  if (kind === 'yaml') {
    const spec = loadEnvironmentFile(join(envDir, 'environment.yaml'));
    resolveEnvironmentOptions(spec.options, options, envName, issues);
    const services = Object.entries(spec.services).map(
      ([name, s]): ServiceDescription => ({
        name,
        ...(s.role ? { roles: [s.role] } : {}),
        ...(s.proxied.length > 0 ? { faultProxy: true } : {}),
      }),
    );
    return { kind, options: undefined, services };
  }
  const mod = await importEnvironmentModule(envDir);
  if (!mod.options) {
    if (given)
      issues.push({ path: 'environmentOptions', message: `environment "${envName}" takes no options` });
    return { kind, options: undefined, services: mod.services?.(undefined) };
  }
  const parsed = parseOptions(mod.options, options ?? {}, envName, issues);
  if (parsed === undefined) return { kind, options: undefined, services: undefined };
  return { kind, options: parsed.value, services: mod.services?.(parsed.value) };
}

function parseOptions(
  schema: ZodType,
  value: unknown,
  envName: string,
  issues: ValidationIssue[],
): { value: unknown } | undefined {
  const r = schema.safeParse(value);
  if (!r.success) {
    for (const i of r.error.issues) {
      const at = ['environmentOptions', ...i.path.map(String)].join('.');
      if (i.code === 'unrecognized_keys') {
        const fields = fieldsAt(schema, i.path);
        for (const k of i.keys) {
          issues.push({
            path: `${at}.${k}`,
            message: unknownFieldMessage(k, fields, `option of environment "${envName}"`),
          });
        }
      } else issues.push({ path: at, message: i.message });
    }
    return undefined;
  }
  for (const [path, ms] of timerFields(r.data)) {
    issues.push({
      path: `environmentOptions.${path}`,
      message: `expected ${TIMER_LIMIT_HINT}, got ${ms}`,
    });
  }
  return { value: r.data };
}

const READ_BACK_METRICS = new Set(['rpo', 'lost-writes', 'lost-writes-after-fault']);
const STREAM_METRICS = new Set(['duplicate-events', 'out-of-order-events', 'drain-time']);

const kindsWhere = (registry: Record<string, AnyProbe>, ok: (p: AnyProbe) => boolean) =>
  Object.entries(registry)
    .filter(([, p]) => ok(p))
    .map(([k]) => k)
    .sort()
    .join(', ');

/** Where a target came from, for messages: the scenario's `targets[i]` or the environment's file. */
interface PlacedTarget {
  target: ResolvedTarget;
  /** Path in the scenario file when it is the scenario's own target. */
  path?: string;
  /** The environment's targets.yaml entry otherwise. */
  origin?: string;
}

function placeTargets(sc: LoadedScenario): PlacedTarget[] {
  const own = sc.spec.targets ?? [];
  const ownCount = own.length;
  // sc.targets = environment targets that the scenario did not replace, then the scenario's own.
  const envCount = sc.targets.length - ownCount;
  const envFile = join(sc.envDir, 'targets.yaml');
  const envTargets = existsSync(envFile) ? loadTargetsFile(envFile) : [];
  const shown = relative(PROJECT_ROOT, envFile);
  return sc.targets.map((target, i) => {
    if (i >= envCount) return { target, path: `targets[${i - envCount}]` };
    const k = envTargets.findIndex((t) => t.metric === target.metric && t.phase === target.phase);
    return { target, origin: `${shown} targets[${k}] (${target.metric})` };
  });
}

/** Targets that no probe of the scenario can measure. */
function checkTargets(sc: LoadedScenario, issues: ValidationIssue[]): void {
  const probeKind = new Map(sc.probes.map((p) => [p.name, p.kind]));
  const impl = (name: string) =>
    builtinProbes[probeKind.get(name) as keyof typeof builtinProbes] as AnyProbe | undefined;
  const described = (names: readonly string[]) => names.map((n) => `${n} (${probeKind.get(n)})`).join(', ');
  for (const { target: t, path, origin } of placeTargets(sc)) {
    const where = path ? `${path}.${t.probe ? 'probe' : 'metric'}` : 'probes';
    const subject = origin ? `target ${origin}` : `"${t.metric}"`;
    if (t.probe && !probeKind.has(t.probe)) {
      // The scenario's own targets are checked by loadScenario; an environment's may name any probe.
      if (origin)
        issues.push({
          path: where,
          message: `${subject} names probe "${t.probe}", which this scenario lacks`,
        });
      continue;
    }
    if (READ_BACK_METRICS.has(t.metric)) {
      const candidates = t.probe ? [t.probe] : [...probeKind.keys()];
      if (!candidates.some((n) => impl(n)?.readsWritesBack)) {
        issues.push({
          path: where,
          message: `${subject} needs a probe that reads its writes back (kinds: ${kindsWhere(builtinProbes, (p) => p.readsWritesBack === true)}); ${candidates.length === 1 ? 'probe' : 'probes'} ${described(candidates)} ${candidates.length === 1 ? 'does' : 'do'} not`,
        });
      }
      continue;
    }
    if (STREAM_METRICS.has(t.metric)) {
      const candidates = t.probe ? [t.probe] : [...probeKind.keys()];
      if (!candidates.some((n) => impl(n)?.checksStream)) {
        issues.push({
          path: where,
          message: `${subject} needs a probe that reads a stream back (kinds: ${kindsWhere(builtinProbes, (p) => p.checksStream === true)}); ${described(candidates)} ${candidates.length === 1 ? 'does' : 'do'} not`,
        });
      }
      continue;
    }
    const series = /^series-(?:p95|max):(.+)$/.exec(t.metric)?.[1];
    if (series !== undefined) {
      const name = t.probe ?? sc.primaryProbe;
      const has = impl(name)?.series ?? [];
      if (!has.includes(series)) {
        issues.push({
          path: where,
          message: `${subject}: probe ${described([name])} produces no series "${series}" (${has.length ? `its series: ${has.join(', ')}` : 'it produces none'}; ${t.probe ? '' : 'without "probe", the primary probe is measured; '}kinds with series: ${kindsWhere(builtinProbes, (p) => (p.series?.length ?? 0) > 0)})`,
        });
      }
      continue;
    }
    const ownRecovery = (kind: string) =>
      (builtinInjectors[kind as keyof typeof builtinInjectors] as AnyInjector | undefined)?.runsOwnRecovery;
    if (
      t.metric === 'recovery-time' &&
      !sc.action &&
      !sc.iterations.every((it) => it.faults.some((f) => ownRecovery(f.kind)))
    ) {
      issues.push({
        path: path ? `${path}.metric` : 'recovery',
        message: `${subject} measures the steps of a recovery action (recovery.mode: action) or of a fault that recovers by itself (kinds: ${Object.entries(
          builtinInjectors,
        )
          .filter(([, i]) => (i as AnyInjector).runsOwnRecovery)
          .map(([k]) => k)
          .join(', ')}); this scenario has neither in every iteration`,
      });
    }
  }
}

interface Targeted {
  path: string;
  kind: string;
  target: TargetSelector | undefined;
  fault: boolean;
}

function targetedEntries(sc: LoadedScenario): Targeted[] {
  const out: Targeted[] = sc.spec.probes.map((p, i) => ({
    path: `probes[${i}]`,
    kind: p.kind,
    target: p.target,
    fault: false,
  }));
  if (sc.spec.iterations) {
    sc.spec.iterations.forEach((it, i) => {
      it.faults.forEach((f, j) => {
        out.push({ path: `iterations[${i}].faults[${j}]`, kind: f.kind, target: f.target, fault: true });
      });
    });
  } else {
    (sc.spec.faults ?? []).forEach((f, j) => {
      out.push({ path: `faults[${j}]`, kind: f.kind, target: f.target, fault: true });
    });
  }
  return out;
}

/** Services and roles named by probes and faults exist; faults that act through the fault proxy have one. */
function checkServices(
  sc: LoadedScenario,
  facts: EnvironmentFacts & { services: readonly ServiceDescription[] },
  issues: ValidationIssue[],
): void {
  const { services } = facts;
  const hasViaProxy =
    typeof facts.options === 'object' && facts.options !== null && 'viaProxy' in facts.options;
  const noProxyHint =
    facts.kind === 'yaml'
      ? 'list the port in the service\'s "proxied:" field of environment.yaml'
      : hasViaProxy
        ? 'set environmentOptions.viaProxy: true'
        : 'none of its services is behind one';
  const names = services.map((s) => s.name);
  const roles = [...new Set(services.flatMap((s) => s.roles ?? []))];
  const proxied = services.filter((s) => s.faultProxy).map((s) => s.name);
  const env = `environment "${sc.envName}"`;
  for (const e of targetedEntries(sc)) {
    const svc = e.target?.service;
    const role = e.target?.role;
    if (svc !== undefined && !names.includes(svc)) {
      issues.push({
        path: `${e.path}.target.service`,
        message: `${env} has no service "${svc}"; its services: ${names.join(', ')}`,
      });
      continue;
    }
    if (role !== undefined && !roles.includes(role)) {
      issues.push({
        path: `${e.path}.target.role`,
        message: `no service of ${env} can have role "${role}"; roles: ${roles.join(', ') || '(none)'}`,
      });
      continue;
    }
    if (
      !e.fault ||
      !(builtinInjectors[e.kind as keyof typeof builtinInjectors] as AnyInjector | undefined)?.needsFaultProxy
    )
      continue;
    // A partition of a service the provider can isolate on the network needs no proxy.
    const isolatable = services.filter((s) => s.isolatable).map((s) => s.name);
    if (e.kind === 'network-partition' && svc !== undefined && isolatable.includes(svc)) continue;
    const needs = `fault kind "${e.kind}" acts through the fault proxy`;
    if (proxied.length === 0) {
      issues.push({
        path: `${e.path}.kind`,
        message: `${needs}, and ${env} routes no traffic through one (${noProxyHint})`,
      });
      continue;
    }
    const reachable =
      svc !== undefined
        ? proxied.includes(svc)
        : role !== undefined
          ? services.some((s) => s.faultProxy && s.roles?.includes(role))
          : true;
    if (!reachable) {
      issues.push({
        path: `${e.path}.target`,
        message: `${needs}, and ${svc !== undefined ? `service "${svc}" is not` : `no service with role "${role}" is`} behind it; services behind the fault proxy: ${proxied.join(', ')}`,
      });
    }
  }
}

/** Everything a run would find out about the scenario against its environment, before it starts. */
export async function checkScenario(sc: LoadedScenario): Promise<EnvironmentFacts | undefined> {
  const issues: ValidationIssue[] = [];
  const facts = await describeEnvironment(sc.envDir, sc.envName, sc.spec.environmentOptions, issues);
  if (facts?.services) checkServices(sc, { ...facts, services: facts.services }, issues);
  if (facts?.kind === 'yaml' && isComposeEnvironment(sc.envDir))
    checkComposeProbes(loadComposeEnvironment(join(sc.envDir, 'environment.yaml')), sc.probes, issues);
  checkTargets(sc, issues);
  if (issues.length) throw new ValidationError(sc.file, issues);
  return facts;
}

/** loadScenario, then checkScenario: the one way `run` and `validate` read a scenario. */
export async function loadCheckedScenario(ref: string): Promise<LoadedScenario> {
  const sc = loadScenario(ref);
  await checkScenario(sc);
  return sc;
}
