// What the harness needs to know of a team's compose files before anything starts: the services,
// the container ports each publishes, whether it has a healthcheck, what it builds. Read with our
// own YAML reader (so `validate` needs no compose CLI and errors name the file), merged the way
// Compose merges several `-f` files (later files override, `ports` are added up). The run itself
// uses what `docker-compose config` says; this is only for the checks.

import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import { readYaml } from './load.js';

export interface ComposeServiceModel {
  /** The file that declared it first (named in errors about it). */
  file: string;
  /** Container ports published to the host (TCP), in declaration order. */
  published: number[];
  healthcheck: boolean;
  build?: { context: string; dockerfile: string };
  image?: string;
}

export interface ComposeModel {
  files: readonly string[];
  services: Record<string, ComposeServiceModel>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` and `$$`; undefined when a variable is unset. */
export function interpolate(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  let unset = false;
  const out = value.replace(
    /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_w, d: string, braced?: string, colon?: string, def?: string, bare?: string) => {
      if (d === '$') return '$';
      const name = (braced ?? bare) as string;
      const v = env[name];
      if (def !== undefined && (v === undefined || (colon === ':' && v === ''))) return def;
      if (v === undefined) unset = true;
      return v ?? '';
    },
  );
  return unset ? undefined : out;
}

/**
 * The container port of one `ports:` entry, or an error text. Short syntax
 * `[ip:][host:]container[/proto]`, or the long one `{ target, published, protocol }`.
 */
export function publishedPort(
  entry: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { port: number; tcp: boolean } | { error: string } | undefined {
  if (isRecord(entry)) {
    const t = Number(entry.target);
    if (!Number.isInteger(t) || t < 1 || t > 65535) return { error: `"target" must be a port number` };
    return { port: t, tcp: (entry.protocol ?? 'tcp') === 'tcp' };
  }
  if (typeof entry !== 'string' && typeof entry !== 'number')
    return { error: 'expected a string or a mapping' };
  const text = interpolate(String(entry), env);
  if (text === undefined) return undefined; // depends on a variable set only at run time
  const [spec = '', proto = 'tcp'] = text.split('/');
  const container = spec.split(':').at(-1) ?? '';
  if (container.includes('-')) {
    return { error: `port ranges (${text}) are not supported: list each port the harness should reach` };
  }
  const port = Number(container);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { error: `"${text}" has no container port` };
  return { port, tcp: proto === 'tcp' };
}

function readComposeFile(file: string, shown: string, issues: ValidationIssue[], at: string): unknown {
  if (!existsSync(file) || !statSync(file).isFile()) {
    issues.push({
      path: at,
      message: `expected a compose file; ${file} ${existsSync(file) ? 'is not a file' : 'does not exist'}`,
    });
    return undefined;
  }
  const doc = readYaml(file); // a syntax error names the compose file
  if (!isRecord(doc) || !isRecord(doc.services)) {
    throw new ValidationError(file, [
      { path: 'services', message: `expected a compose file with a "services:" mapping (${shown})` },
    ]);
  }
  return doc;
}

/**
 * Reads and merges the compose files. `envFile` is the environment.yaml naming them (missing files
 * are its errors); a compose file's own problems are reported against that file.
 */
export function readComposeModel(
  envFile: string,
  files: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ComposeModel {
  const issues: ValidationIssue[] = [];
  const fileIssues: ValidationError[] = [];
  const abs = files.map((f) => resolve(dirname(envFile), f));
  const services: Record<string, ComposeServiceModel> = {};
  // Relative paths in every file are relative to the first file's folder (Compose's project directory).
  const projectDir = dirname(abs[0] ?? envFile);
  abs.forEach((file, i) => {
    const doc = readComposeFile(file, files[i] as string, issues, `compose.files[${i}]`);
    if (!isRecord(doc)) return;
    const own: ValidationIssue[] = [];
    for (const [name, raw] of Object.entries(doc.services as Record<string, unknown>)) {
      const at = `services.${name}`;
      if (!isRecord(raw)) {
        own.push({ path: at, message: 'expected a mapping' });
        continue;
      }
      const svc = services[name] ?? { file, published: [], healthcheck: false };
      services[name] = svc;
      if (raw.network_mode !== undefined && String(raw.network_mode) !== 'bridge') {
        own.push({
          path: `${at}.network_mode`,
          message: `"${String(raw.network_mode)}" is not supported: the harness runs every service on the project's own networks`,
        });
      }
      const replicas = isRecord(raw.deploy) ? raw.deploy.replicas : raw.scale;
      if (replicas !== undefined && Number(replicas) !== 1) {
        own.push({
          path: `${at}.${raw.scale !== undefined ? 'scale' : 'deploy.replicas'}`,
          message: `expected 1 container per service, got ${String(replicas)}`,
        });
      }
      if (raw.ports !== undefined) {
        if (!Array.isArray(raw.ports)) own.push({ path: `${at}.ports`, message: 'expected a list' });
        else
          raw.ports.forEach((p, j) => {
            const r = publishedPort(p, env);
            if (r && 'error' in r) own.push({ path: `${at}.ports[${j}]`, message: r.error });
            else if (r?.tcp && !svc.published.includes(r.port)) svc.published.push(r.port);
          });
      }
      if (isRecord(raw.healthcheck)) {
        svc.healthcheck =
          raw.healthcheck.disable !== true &&
          raw.healthcheck.test !== undefined &&
          !(Array.isArray(raw.healthcheck.test) && raw.healthcheck.test[0] === 'NONE');
      }
      if (typeof raw.image === 'string') svc.image = raw.image;
      if (raw.build !== undefined) {
        const b =
          typeof raw.build === 'string' ? { context: raw.build } : isRecord(raw.build) ? raw.build : {};
        for (const k of Object.keys(b)) {
          if (!['context', 'dockerfile', 'args'].includes(k))
            own.push({
              path: `${at}.build.${k}`,
              message: 'not supported by the harness (it builds with context, dockerfile and args)',
            });
        }
        const ctx = interpolate(String(b.context ?? '.'), env);
        const context = resolve(projectDir, ctx ?? '.');
        const dockerfile = String(b.dockerfile ?? svc.build?.dockerfile ?? 'Dockerfile');
        if (ctx !== undefined && !(existsSync(context) && statSync(context).isDirectory()))
          own.push({
            path: `${at}.build.context`,
            message: `expected a folder with a Dockerfile; ${context} does not exist`,
          });
        else if (ctx !== undefined && !existsSync(resolve(context, dockerfile)))
          own.push({
            path: `${at}.build.dockerfile`,
            message: `expected a Dockerfile; ${resolve(context, dockerfile)} does not exist`,
          });
        svc.build = { context, dockerfile };
      }
    }
    if (own.length) fileIssues.push(new ValidationError(file, own));
  });
  const all = [...(issues.length ? [new ValidationError(envFile, issues)] : []), ...fileIssues];
  const combined = ValidationError.combine(all);
  if (combined) throw combined;
  return { files: abs, services };
}
