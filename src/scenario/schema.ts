import { z } from 'zod';
import {
  duration,
  durationBetween,
  MAX_PROBE_RATE,
  MIN_PROBE_INTERVAL_MS,
  MIN_PROBE_RATE,
  positiveDuration,
} from './duration.js';
import { BASE_METRICS } from './metrics.js';
import { type Reference, SUBSTITUTION_FORMS, substitute } from './substitution.js';

export { duration, durationBetween, positiveDuration };

/** Bounds on counts in a scenario: each probe is a workload on the same machine as the stack. */
export const MAX_PROBES = 32;
export const MAX_FAULTS = 32;
export const MAX_REPEAT = 1000;
export const MAX_SERVICES = 64;

export const targetSelector = z
  .strictObject({
    service: z.string().min(1).optional().describe('a service name'),
    role: z.string().min(1).optional().describe('a role resolved when the fault acts, e.g. primary'),
  })
  .refine((t) => (t.service === undefined) !== (t.role === undefined), {
    error: 'expected exactly one of "service" or "role"',
  });

export const PHASE_NAMES = ['steady', 'fault', 'recovered'] as const;

export const metricName = z.union([
  z.enum(BASE_METRICS),
  z
    .string()
    // Zod reports only this branch's issue when the enum fails too, so it must name every metric.
    .regex(/^series-(p95|max):[A-Za-z0-9_]+$/, {
      error: `expected one of ${BASE_METRICS.join(', ')}, series-p95:<name> or series-max:<name>`,
    }),
]);

export const target = z
  .strictObject({
    metric: metricName.describe(`one of ${BASE_METRICS.join(', ')}, series-p95:<name>, series-max:<name>`),
    max: z
      .union([z.number(), z.string()])
      .optional()
      .describe('the bound: a duration for time metrics, a count, or a ratio / "1%"'),
    maxRegression: z
      .string()
      .optional()
      .describe(
        'a bound relative to the baseline (the median of this target over the last passing runs in the history): "+50%" allows at most 1.5 × the baseline',
      ),
    phase: z.enum(PHASE_NAMES).optional(),
    probe: z.string().optional(),
    source: z.string().min(1).describe('where the target is documented'),
  })
  .refine((t) => t.max !== undefined || t.maxRegression !== undefined, {
    error: 'expected "max", "maxRegression" or both',
    path: ['max'],
  });

export const targetsFile = z.strictObject({ targets: z.array(target) });

/** Fields common to every probe; the rest are validated by the probe kind's own schema. */
export const probeEntry = z.looseObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a kebab-case name' })
    .describe('the probe’s name in reports and in targets’ probe:'),
  kind: z.string().min(1),
  interval: durationBetween(MIN_PROBE_INTERVAL_MS)
    .optional()
    .describe(
      `time between operations (open loop), at least ${MIN_PROBE_INTERVAL_MS}ms (default 100ms, unless rate is given)`,
    ),
  rate: z
    .number()
    .min(MIN_PROBE_RATE, { error: `expected at least ${MIN_PROBE_RATE} operations per second` })
    .max(MAX_PROBE_RATE, {
      error: `expected at most ${MAX_PROBE_RATE} operations per second (an interval of ${MIN_PROBE_INTERVAL_MS}ms; a faster probe measures its own scheduler)`,
    })
    .optional()
    .describe(`operations per second (alternative to interval), at most ${MAX_PROBE_RATE}`),
  timeout: positiveDuration
    .optional()
    .describe('per-operation timeout (default 1s); a timed-out operation is "unknown"'),
  target: targetSelector.optional().describe('the service it works on: { service: name } or { role: name }'),
});

/** Fields common to every fault; the rest are validated by the injector kind's own schema. */
export const faultEntry = z.looseObject({
  kind: z.string().min(1),
  target: targetSelector
    .optional()
    .describe('the service it acts on, resolved when it acts: { service: name } or { role: name }'),
  at: duration.optional().describe('offset after the steady state'),
});

export const actionEntry = z.looseObject({ kind: z.string().min(1) });

/**
 * A scenario file, with the schemas of its probe, fault and recovery action entries: the loader's
 * check only the common fields (each kind's own are checked with the kind's schema, for messages
 * that name the kind); the published JSON Schema's have one branch per kind (json-schemas.ts).
 */
export function scenarioWith<P extends z.ZodType, F extends z.ZodType, A extends z.ZodType>(entries: {
  probe: P;
  fault: F;
  action: A;
}) {
  return z.strictObject({
    extends: z
      .string()
      .min(1)
      .optional()
      .describe(
        "a scenario to start from (a name under scenarios/, or a path relative to this file): this file's fields replace its fields, except environmentOptions (merged key by key) and targets (replaced per metric and phase)",
      ),
    description: z.string().optional(),
    tags: z
      .array(
        z
          .string()
          .regex(/^[a-z][a-z0-9-]*$/, { error: 'expected a tag like "nightly" or "negative-control"' }),
      )
      .default([])
      .describe('labels a suite selects by (chaos-harness suite --tag nightly)'),
    environment: z.string().min(1).describe('a folder under environments/, or a path to one'),
    environmentOptions: z.record(z.string(), z.unknown()).optional(),
    probes: z
      .array(entries.probe)
      .min(1, { error: 'expected at least one probe' })
      .max(MAX_PROBES, { error: `expected at most ${MAX_PROBES} probes` }),
    primaryProbe: z
      .string()
      .optional()
      .describe('the probe whose operations define RTO (default: the first)'),
    steadyState: z
      .strictObject({
        duration: duration.default(2000),
        maxErrorRate: z.number().min(0).max(1).default(0),
      })
      .default({ duration: 2000, maxErrorRate: 0 }),
    faults: z
      .array(entries.fault)
      .max(MAX_FAULTS, { error: `expected at most ${MAX_FAULTS} faults` })
      .optional(),
    iterations: z
      .array(
        z.strictObject({
          name: z.string().optional(),
          faults: z
            .array(entries.fault)
            .min(1)
            .max(MAX_FAULTS, { error: `expected at most ${MAX_FAULTS} faults` }),
        }),
      )
      .min(1)
      .max(MAX_REPEAT, { error: `expected at most ${MAX_REPEAT} iterations` })
      .optional()
      .describe('one entry per iteration, each with its own faults (instead of faults + repeat)'),
    recovery: z
      .strictObject({
        mode: z.enum(['automatic', 'action']).default('automatic'),
        action: entries.action.optional(),
        timeout: positiveDuration.default(60_000),
        stableFor: duration.default(1000),
      })
      .refine((r) => (r.mode === 'action') === (r.action !== undefined), {
        error: 'mode "action" needs an "action", and an "action" needs mode "action"',
      })
      .default({ mode: 'automatic', timeout: 60_000, stableFor: 1000 }),
    observe: duration.default(1000).describe('keep the workload running this long after recovery'),
    settle: duration.default(1000).describe('pause between iterations'),
    repeat: z.number().int().min(1).max(MAX_REPEAT).default(1),
    provider: z
      .enum(['local', 'containers'])
      .optional()
      .describe('how the services run (default local; --provider overrides it)'),
    expectImpact: z.boolean().default(true),
    expect: z
      .strictObject({
        verdict: z
          .enum(['pass', 'fail', 'inconclusive'])
          .describe('the verdict the scenario is meant to end with'),
        failing: z
          .array(
            z.union([
              metricName,
              z.strictObject({
                metric: metricName,
                phase: z.enum(PHASE_NAMES).optional(),
                probe: z.string().optional(),
              }),
            ]),
          )
          .min(1)
          .optional()
          .describe(
            'with verdict fail: the targets that must fail, and no other: a metric (every target of it) or { metric, phase?, probe? }',
          ),
      })
      .refine((e) => e.failing === undefined || e.verdict === 'fail', {
        error: '"failing" goes with verdict "fail"',
      })
      .optional()
      .describe(
        'what the scenario is meant to show (a negative control: { verdict: fail, failing: [lost-writes] }); the exit code is 0 when the run behaved as declared',
      ),
    targets: z.array(target).optional(),
  });
}

export const scenario = scenarioWith({ probe: probeEntry, fault: faultEntry, action: actionEntry });

const portName = z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'expected a port name like "http"' });

export const readiness = z
  .strictObject({
    http: z
      .strictObject({
        port: portName,
        path: z.string().default('/'),
        status: z.number().int().min(100).max(599).default(200),
      })
      .optional(),
    tcp: z.strictObject({ port: portName }).optional(),
    command: z.array(z.string()).min(1).optional(),
    timeout: positiveDuration.default(30_000),
    interval: positiveDuration.default(100),
  })
  .refine((r) => [r.http, r.tcp, r.command].filter(Boolean).length === 1, {
    error: 'expected exactly one of "http", "tcp" or "command"',
  });

export const serviceSpec = z
  .strictObject({
    command: z.string().min(1),
    image: z
      .string()
      .min(1)
      .optional()
      .describe('with the containers provider: the image to run `command` in (this or `build` needed there)'),
    build: z
      .strictObject({
        context: z.string().min(1).describe('folder with the Dockerfile, relative to environment.yaml'),
        dockerfile: z.string().min(1).default('Dockerfile').describe('relative to context'),
        args: z.record(z.string(), z.string()).default({}).describe('build arguments'),
      })
      .optional()
      .describe(
        'with the containers provider: build the image to run `command` in (rebuilt only when the context changes)',
      ),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    ports: z.array(portName).default([]),
    proxied: z
      .array(portName)
      .default([])
      .describe(
        'ports that clients and the other services reach through the fault proxy, so network faults act on them',
      ),
    user: z.string().optional().describe('run as this user when the harness runs as root'),
    role: z.string().optional(),
    dataPaths: z.record(z.string(), z.string()).default({}),
    ready: readiness.optional(),
    files: z
      .array(
        z
          .strictObject({
            path: z
              .string()
              .min(1)
              .describe(`where to write it, relative to \${workDir} (substitutions allowed)`),
            template: z.string().min(1).optional().describe('a file relative to environment.yaml, rendered'),
            content: z.string().optional().describe('the text, rendered'),
          })
          .refine((f) => (f.template === undefined) !== (f.content === undefined), {
            error: 'expected exactly one of "template" or "content"',
          }),
      )
      .default([])
      .describe(
        'config files rendered with the substitutions into the work directory before the service starts',
      ),
    dependsOn: z.array(z.string()).default([]).describe('services that must be ready before this one starts'),
    restart: z
      .strictObject({
        policy: z.enum(['never', 'on-failure', 'always']).default('on-failure'),
        delay: duration.default(1000),
        backoff: z
          .number()
          .min(1)
          .max(10)
          .default(1)
          .describe('each consecutive restart waits this many times longer'),
        maxDelay: duration.default(60_000).describe('the longest wait between restarts'),
        maxRestarts: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('give up after this many consecutive restarts'),
        resetAfter: duration
          .default(60_000)
          .describe('a run this long makes the next restart a first one again'),
      })
      .optional(),
    stopGrace: duration.default(5000),
  })
  .refine((s) => s.image === undefined || s.build === undefined, {
    error: 'give either "image" or "build", not both',
    path: ['build'],
  });

type Path = (string | number)[];

/** Every `${...}` of a service: where it is, and the text. */
function substitutedValues(s: ServiceSpec): [Path, string][] {
  return [
    ...s.args.map((v, i): [Path, string] => [['args', i], v]),
    ...Object.entries(s.env).map(([k, v]): [Path, string] => [['env', k], v]),
    ...Object.entries(s.dataPaths).map(([k, v]): [Path, string] => [['dataPaths', k], v]),
    ...s.files.flatMap((f, i): [Path, string][] => [
      [['files', i, 'path'], f.path],
      ...(f.content === undefined ? [] : [[['files', i, 'content'], f.content] as [Path, string]]),
    ]),
  ];
}

/** Whether `ref` names something declared in the file, seen from service `svc`. */
export function declaredReference(
  env: { services: Record<string, ServiceSpec>; options: Record<string, unknown> },
  svc: string,
  ref: Reference,
): boolean {
  if (ref.kind === 'dir') return true;
  if (ref.kind === 'option') return Object.hasOwn(env.options, ref.name);
  if (ref.kind === 'proxied') return false;
  return (env.services[ref.service ?? svc]?.ports ?? []).includes(ref.port);
}

export function unknownSubstitution(whole: string): string {
  return `unknown substitution ${whole}; expected ${SUBSTITUTION_FORMS} with names declared in this file`;
}

/** dependsOn names services of this file, and no service depends on itself through others. */
function checkDependencies(services: Record<string, ServiceSpec>, ctx: z.RefinementCtx): void {
  for (const [name, s] of Object.entries(services)) {
    for (const [i, dep] of s.dependsOn.entries()) {
      if (!Object.hasOwn(services, dep) || dep === name) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'dependsOn', i],
          message:
            dep === name
              ? 'a service cannot depend on itself'
              : `"${dep}" is not a service of this file (${Object.keys(services).join(', ')})`,
        });
      }
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(name)), name];
      ctx.addIssue({
        code: 'custom',
        path: ['services', name, 'dependsOn'],
        message: `dependency cycle: ${cycle.join(' → ')}`,
      });
      return;
    }
    state.set(name, 'visiting');
    for (const dep of services[name]?.dependsOn ?? [])
      if (Object.hasOwn(services, dep) && dep !== name) visit(dep, [...chain, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(services)) visit(name, []);
}

/**
 * Port names and substitutions refer only to names declared in the same file, so a typo is caught by
 * `validate` and before a run starts anything, not when the provider substitutes them.
 */
function checkReferences(
  env: { services: Record<string, ServiceSpec>; options: Record<string, unknown> },
  ctx: z.RefinementCtx,
): void {
  for (const [name, s] of Object.entries(env.services)) {
    const at = ['services', name];
    for (const kind of ['http', 'tcp'] as const) {
      const ref = s.ready?.[kind]?.port;
      if (ref !== undefined && !s.ports.includes(ref)) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'ready', kind, 'port'],
          message: `"${ref}" is not one of this service's ports (${s.ports.join(', ') || 'none declared'})`,
        });
      }
    }
    for (const [i, p] of s.proxied.entries()) {
      if (!s.ports.includes(p)) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, 'proxied', i],
          message: `"${p}" is not one of this service's ports (${s.ports.join(', ') || 'none declared'})`,
        });
      }
    }
    for (const [path, value] of substitutedValues(s)) {
      substitute(
        value,
        (ref) => (declaredReference(env, name, ref) ? '' : undefined),
        (whole) =>
          ctx.addIssue({ code: 'custom', path: [...at, ...path], message: unknownSubstitution(whole) }),
      );
    }
  }
  checkDependencies(env.services, ctx);
}

export const environmentFile = z
  .strictObject({
    description: z.string().optional(),
    options: z
      .record(
        z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, { error: 'expected an option name like "workers"' }),
        z.union([z.string(), z.number(), z.boolean()]),
      )
      .default({})
      .describe(
        `options with their defaults, referenced as \${options.<name>}; a scenario sets them in environmentOptions`,
      ),
    services: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/, {
          error: 'expected a service name of lower-case letters, digits and "-", starting with a letter',
        }),
        serviceSpec,
      )
      .refine((s) => Object.keys(s).length > 0, {
        error: 'expected at least one service',
      })
      .refine((s) => Object.keys(s).length <= MAX_SERVICES, {
        error: `expected at most ${MAX_SERVICES} services`,
      }),
  })
  .superRefine(checkReferences);

export type ScenarioSpec = z.infer<typeof scenario>;
export type FaultEntry = z.infer<typeof faultEntry>;
export type ProbeEntry = z.infer<typeof probeEntry>;
export type TargetSpec = z.infer<typeof target>;
export type ServiceSpec = z.infer<typeof serviceSpec>;
export type EnvironmentFileSpec = z.infer<typeof environmentFile>;
