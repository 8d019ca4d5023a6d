// An environment.yaml that points at a team's own compose files instead of declaring services:
//
//   compose: { files: [../docker-compose.yml], profiles: [db], env: { POSTGRES_PASSWORD: x } }
//   services:            # optional overlay, keyed by compose service name
//     db: { ready: { tcp: { port: 5432 } }, role: primary }
//
// Checked before anything starts: the compose files exist and parse, the overlay names their
// services and ports they publish, and probes aim at services with a published port.

import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import type { ServiceDescription } from '../core/types.js';
import { type ComposeModel, readComposeModel } from './compose-files.js';
import { PROJECT_ROOT, parseWith, readYaml } from './load.js';
import { duration, positiveDuration } from './schema.js';
import { substitute } from './substitution.js';

const containerPort = z.number().int().min(1).max(65535).describe('a container port the service publishes');

const composeReadiness = z
  .strictObject({
    http: z
      .strictObject({
        port: containerPort,
        path: z.string().startsWith('/').default('/'),
        status: z.number().int().min(100).max(599).default(200),
      })
      .optional(),
    tcp: z.strictObject({ port: containerPort }).optional(),
    command: z.array(z.string()).min(1).optional().describe('run on the host; exit 0 = ready'),
    timeout: positiveDuration.default(60_000),
    interval: positiveDuration.default(200),
  })
  .refine((r) => [r.http, r.tcp, r.command].filter(Boolean).length <= 1, {
    error: 'expected at most one of "http", "tcp" or "command" (a compose healthcheck is waited for as well)',
  });

export const composeOverlay = z.strictObject({
  ready: composeReadiness.optional(),
  role: z.string().optional(),
  dataPaths: z
    .record(z.string(), z.string())
    .default({})
    .describe('data files by key: paths inside the container'),
  endpoints: z
    .record(z.string().regex(/^[a-z][a-z0-9_]*$/), containerPort)
    .default({})
    .describe('names for published ports (probes default to "http"); every port is also its number'),
  proxied: z
    .array(containerPort)
    .default([])
    .describe('published ports the harness reaches through the fault proxy'),
  environment: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected a variable name' }), z.string())
    .default({})
    .describe(
      `the service's environment entries to set for the run (the compose file is not changed); $\{services.<svc>.proxied.<port>} is the host:port its containers reach that service's port at through the fault proxy`,
    ),
  restart: z
    .strictObject({
      policy: z
        .enum(['never', 'on-failure', 'always'])
        .optional()
        .describe("default: the compose file's restart"),
      delay: duration.default(100),
      backoff: z.number().min(1).max(10).default(2),
      maxDelay: duration.default(60_000),
      maxRestarts: z.number().int().min(0).optional(),
      resetAfter: duration.default(10_000),
    })
    .optional(),
  stopGrace: duration.default(10_000),
});

export const composeEnvironmentFile = z.strictObject({
  description: z.string().optional(),
  compose: z.strictObject({
    files: z
      .array(z.string().min(1))
      .min(1)
      .describe('compose files, relative to this file, merged in order'),
    profiles: z.array(z.string().min(1)).default([]),
    env: z.record(z.string(), z.string()).default({}).describe('variables for the compose files'),
    keepVolumes: z.boolean().default(false).describe("keep the project's volumes after the run"),
    upTimeout: positiveDuration.default(180_000).describe('bound on `up` (images are never pulled)'),
  }),
  services: z.record(z.string(), composeOverlay).default({}),
});

export type ComposeEnvironmentSpec = z.infer<typeof composeEnvironmentFile>;
export type ComposeOverlay = z.infer<typeof composeOverlay>;

export interface ComposeEnvironment {
  file: string;
  spec: ComposeEnvironmentSpec;
  model: ComposeModel;
}

/** Whether the folder's environment.yaml has a `compose:` section. */
export function isComposeEnvironment(dir: string): boolean {
  const file = join(dir, 'environment.yaml');
  if (!existsSync(file)) return false;
  const raw = readYaml(file);
  return typeof raw === 'object' && raw !== null && 'compose' in raw;
}

/** The variables the compose files are interpolated with: ours over the harness's own. */
export function composeVariables(spec: ComposeEnvironmentSpec): Record<string, string | undefined> {
  return { ...process.env, ...spec.compose.env };
}

export function loadComposeEnvironment(file: string): ComposeEnvironment {
  const spec = parseWith(composeEnvironmentFile, readYaml(file), file);
  const model = readComposeModel(file, spec.compose.files, composeVariables(spec));
  const shown = model.files.map((f) => relative(PROJECT_ROOT, f)).join(', ');
  const issues: ValidationIssue[] = [];
  const names = Object.keys(model.services);
  for (const [name, o] of Object.entries(spec.services)) {
    const at = `services.${name}`;
    const svc = model.services[name];
    if (!svc) {
      issues.push({
        path: at,
        message: `${shown} has no service "${name}"; its services: ${names.join(', ')}`,
      });
      continue;
    }
    const publishes = (port: number, path: string) => {
      if (!svc.published.includes(port))
        issues.push({
          path,
          message: `service "${name}" of ${relative(PROJECT_ROOT, svc.file)} publishes no port ${port} (published: ${svc.published.join(', ') || 'none'}); add it to its "ports:"`,
        });
    };
    if (o.ready?.http) publishes(o.ready.http.port, `${at}.ready.http.port`);
    if (o.ready?.tcp) publishes(o.ready.tcp.port, `${at}.ready.tcp.port`);
    for (const [i, p] of o.proxied.entries()) publishes(p, `${at}.proxied[${i}]`);
    for (const [k, p] of Object.entries(o.endpoints)) publishes(p, `${at}.endpoints.${k}`);
    for (const [k, v] of Object.entries(o.environment)) {
      substitute(
        v,
        (ref) => {
          if (ref.kind !== 'proxied') return undefined;
          const proxied = spec.services[ref.service]?.proxied ?? [];
          return proxied.includes(Number(ref.port)) ? '' : undefined;
        },
        (whole) =>
          issues.push({
            path: `${at}.environment.${k}`,
            message: `unknown substitution ${whole}; expected \${services.<svc>.proxied.<port>} naming a port listed in that service's "proxied:" here`,
          }),
      );
    }
  }
  if (issues.length) throw new ValidationError(file, issues);
  return { file, spec, model };
}

/** The proxied ports some service's `environment:` sends its containers through: service → ports. */
export function proxiedForContainers(spec: ComposeEnvironmentSpec): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const o of Object.values(spec.services)) {
    for (const v of Object.values(o.environment)) {
      substitute(
        v,
        (ref) => {
          if (ref.kind === 'proxied') {
            const ports = out[ref.service] ?? [];
            if (!ports.includes(Number(ref.port))) ports.push(Number(ref.port));
            out[ref.service] = ports;
          }
          return '';
        },
        () => {},
      );
    }
  }
  return out;
}

/** The endpoint names a service has in a run: each published port's number, the overlay's names, `<n>_direct` when proxied. */
export function endpointNames(env: ComposeEnvironment, service: string): string[] {
  const svc = env.model.services[service];
  const o = env.spec.services[service];
  return [
    ...(svc?.published ?? []).map(String),
    ...Object.keys(o?.endpoints ?? {}),
    ...(o?.proxied ?? []).map((p) => `${p}_direct`),
  ];
}

export function describeComposeServices(env: ComposeEnvironment): ServiceDescription[] {
  return Object.keys(env.model.services).map((name) => {
    const o = env.spec.services[name];
    return {
      name,
      ...(o?.role ? { roles: [o.role] } : {}),
      ...((o?.proxied.length ?? 0) > 0 ? { faultProxy: true } : {}),
      isolatable: true,
    };
  });
}

/**
 * A probe whose kind reaches its service through an endpoint (`endpoint:` in its params) needs a
 * published port there; without one it could only fail, so it is refused before the run.
 */
export function checkComposeProbes(
  env: ComposeEnvironment,
  probes: readonly {
    name: string;
    kind: string;
    target: { service?: string | undefined };
    params: unknown;
  }[],
  issues: ValidationIssue[],
): void {
  probes.forEach((p, i) => {
    const endpoint = (p.params as { endpoint?: unknown } | undefined)?.endpoint;
    const service = p.target.service;
    if (typeof endpoint !== 'string' || service === undefined || !env.model.services[service]) return;
    const has = endpointNames(env, service);
    if (has.includes(endpoint)) return;
    const svcFile = relative(PROJECT_ROOT, env.model.services[service]?.file ?? env.file);
    issues.push({
      path: `probes[${i}].endpoint`,
      message: has.length
        ? `probe "${p.name}" (${p.kind}) needs endpoint "${endpoint}" of service "${service}" (${svcFile}); it has: ${has.join(', ')} (name a port under services.${service}.endpoints of the environment)`
        : `probe "${p.name}" (${p.kind}) needs a published port of service "${service}", and ${svcFile} publishes none for it; add one to its "ports:"`,
    });
  });
}
