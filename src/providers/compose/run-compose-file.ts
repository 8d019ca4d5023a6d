// The compose file a run brings up: what `compose config` made of the team's files (variables
// resolved, paths absolute, every -f merged), changed only where a run must differ from theirs.
// Written next to the run's report; the team's files are never touched.
//  - every service, network and volume carries the run's labels (teardown and the sweep find them);
//  - published ports get host ports of the run's own on 127.0.0.1 (two runs never collide, nothing
//    listens beyond loopback, and a restarted container keeps its endpoint);
//  - fixed container, network and volume names go (they would collide between runs), Compose
//    names them after the run's project;
//  - `build:` becomes the image the harness built (cached by its inputs, like an environment.yaml's);
//  - `restart:` becomes "no": the harness's supervisor applies the file's policy, so a restart
//    is seen and timed (Docker does not restart a container after `docker kill` anyway).

import { HarnessError } from '../../core/errors.js';
import { publishedPort } from '../../scenario/compose-files.js';
import type { RestartPolicy } from '../supervised-service.js';

type Doc = Record<string, unknown>;
const isRecord = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compose's two spellings of labels, args and environment (`[K=v]` or `{K: v}`) as one map. */
const keyValues = (v: unknown): Record<string, string> =>
  Array.isArray(v)
    ? Object.fromEntries(v.map((l) => String(l).split(/=(.*)/s).slice(0, 2) as [string, string]))
    : isRecord(v)
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x ?? '')]))
      : {};

export interface ConfigService {
  name: string;
  /** Published container ports (TCP). */
  published: number[];
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  image?: string;
  restart: RestartPolicy['policy'];
  maxRestarts?: number;
  healthcheck: boolean;
}

/** The services `up` starts with these profiles (a service with profiles needs one of them). */
export function activeServices(config: Doc, profiles: readonly string[]): ConfigService[] {
  const services = isRecord(config.services) ? config.services : {};
  return Object.entries(services).flatMap(([name, raw]): ConfigService[] => {
    if (!isRecord(raw)) return [];
    const own = Array.isArray(raw.profiles) ? raw.profiles.map(String) : [];
    if (own.length > 0 && !own.some((p) => profiles.includes(p))) return [];
    const published: number[] = [];
    for (const p of Array.isArray(raw.ports) ? raw.ports : []) {
      const r = publishedPort(p, {});
      if (r && 'port' in r && r.tcp && !published.includes(r.port)) published.push(r.port);
    }
    const [policy = 'no', max] = String(raw.restart ?? 'no').split(':');
    const restart =
      policy === 'always' || policy === 'unless-stopped'
        ? 'always'
        : policy === 'on-failure'
          ? 'on-failure'
          : 'never';
    const hc = isRecord(raw.healthcheck) ? raw.healthcheck : undefined;
    const svc: ConfigService = {
      name,
      published,
      restart,
      healthcheck:
        hc !== undefined && hc.disable !== true && !(Array.isArray(hc.test) && hc.test[0] === 'NONE'),
    };
    if (max !== undefined && Number.isInteger(Number(max))) svc.maxRestarts = Number(max);
    if (typeof raw.image === 'string') svc.image = raw.image;
    if (raw.build !== undefined) {
      const b = typeof raw.build === 'string' ? { context: raw.build } : isRecord(raw.build) ? raw.build : {};
      const args = keyValues(b.args);
      svc.build = {
        context: String(b.context ?? '.'),
        dockerfile: String(b.dockerfile ?? 'Dockerfile'),
        args,
      };
    }
    return [svc];
  });
}

const withLabels = (entry: unknown, labels: Readonly<Record<string, string>>): Doc => {
  const e = isRecord(entry) ? { ...entry } : {};
  e.labels = { ...keyValues(e.labels), ...labels };
  return e;
};

export function runComposeFile(
  config: Doc,
  opts: {
    services: readonly ConfigService[];
    labels: Readonly<Record<string, string>>;
    /** service → container port → host port. */
    hostPorts: Readonly<Record<string, Readonly<Record<number, number>>>>;
    /** service → the image built for it. */
    images: Readonly<Record<string, string>>;
    keepVolumes: boolean;
    /** service → environment entries set for the run (the overlay's `environment:`, resolved). */
    environment?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    serviceLabel: string;
    keepLabel: string;
  },
): Doc {
  const out: Doc = { ...config };
  const services: Doc = {};
  for (const [name, raw] of Object.entries(isRecord(config.services) ? config.services : {})) {
    const s = withLabels(raw, { ...opts.labels, [opts.serviceLabel]: name });
    delete s.container_name;
    s.restart = 'no';
    const setEnv = opts.environment?.[name];
    if (setEnv && Object.keys(setEnv).length) {
      // A map keeps its null entries (passed through from the host's environment by Compose).
      s.environment = { ...(isRecord(s.environment) ? s.environment : keyValues(s.environment)), ...setEnv };
    }
    const built = opts.images[name];
    if (built) {
      delete s.build;
      s.image = built;
    }
    const hosts = opts.hostPorts[name];
    if (hosts && Array.isArray(s.ports)) {
      s.ports = s.ports.flatMap((p) => {
        const r = publishedPort(p, {});
        if (!r || 'error' in r)
          throw new HarnessError(
            'INVALID_INPUT',
            `service "${name}": cannot publish port ${JSON.stringify(p)}`,
          );
        const host = hosts[r.port];
        return r.tcp && host !== undefined ? [`127.0.0.1:${host}:${r.port}/tcp`] : [];
      });
      // One entry per container port: the file may list one twice (several -f files add up).
      s.ports = [...new Set(s.ports as string[])];
    }
    services[name] = s;
  }
  out.services = services;
  const named = (key: 'networks' | 'volumes', extra: Record<string, string>) => {
    const entries: Doc = isRecord(config[key]) ? { ...(config[key] as Doc) } : {};
    if (key === 'networks' && !('default' in entries)) entries.default = {};
    for (const [k, v] of Object.entries(entries)) {
      if (isRecord(v) && v.external) continue; // not ours: neither labelled nor removed
      const e = withLabels(v, { ...opts.labels, ...extra });
      delete e.name;
      entries[k] = e;
    }
    if (Object.keys(entries).length) out[key] = entries;
  };
  named('networks', {});
  named('volumes', opts.keepVolumes ? { [opts.keepLabel]: '1' } : {});
  return out;
}
