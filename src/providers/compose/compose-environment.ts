// Starts a compose environment: the team's compose files, brought up as a project of the run's own
// (`chaos-<run id>`) from the file run-compose-file.ts writes, each compose service then supervised
// like any containers service (faults, restarts, readiness), and `down` at the end.

import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { HarnessError } from '../../core/errors.js';
import type { Endpoint, StartedEnvironment } from '../../core/types.js';
import { FAULT_PROXY } from '../../proxy/routing.js';
import { type ComposeEnvironment, composeVariables } from '../../scenario/compose-environment.js';
import { substitute } from '../../scenario/substitution.js';
import { containerDataFiles } from '../containers/container-data-files.js';
import { LABELS } from '../containers/engine.js';
import { ManagedContainer } from '../containers/managed-container.js';
import { isolateContainer } from '../containers/partition.js';
import { LocalEnvironment } from '../local/local-environment.js';
import { checkOnce, type ReadyCheck } from '../local/readiness.js';
import type { EnvironmentStartContext } from '../provider.js';
import { SupervisedService } from '../supervised-service.js';
import { compose, composeEnv, detectComposeCli } from './compose-cli.js';
import { startComposeProxies } from './compose-proxies.js';
import { activeServices, type ConfigService, runComposeFile } from './run-compose-file.js';

export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
} as const;

/** Compose project names are lower-case letters, digits, "-" and "_". */
export function projectName(runId: string): string {
  return `chaos-${runId.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`;
}

export async function startComposeEnvironment(
  ctx: EnvironmentStartContext,
  env: ComposeEnvironment,
): Promise<StartedEnvironment> {
  const containers = ctx.containers;
  if (ctx.provider !== 'containers' || !containers) {
    throw new HarnessError(
      'INVALID_INPUT',
      `${env.file}: a compose environment runs with the containers provider (--provider containers)`,
    );
  }
  const { spec, file } = env;
  const cli = await detectComposeCli();
  const project = projectName(ctx.runId);
  const vars = composeEnv(composeVariables(spec));
  const profiles = spec.compose.profiles.flatMap((p) => ['--profile', p]);
  const userFiles = env.model.files.flatMap((f) => ['-f', f]);
  const what = `${file}: compose project ${project}`;
  const timeoutMs = spec.compose.upTimeout;

  const config = parseYaml(
    (
      await compose(cli, [...userFiles, '-p', project, ...profiles, 'config'], {
        env: vars,
        timeoutMs: 60_000,
        signal: ctx.signal,
        what,
      })
    ).stdout,
  ) as Record<string, unknown>;
  const services = activeServices(config, spec.compose.profiles);

  // Images before anything starts: Compose would try a registry for a missing one.
  const images: Record<string, string> = {};
  for (const s of services) {
    if (!s.build) continue;
    images[s.name] = await containers.buildImage(
      s.name,
      { context: resolve(s.build.context), dockerfile: s.build.dockerfile, args: s.build.args },
      { what: `${file}: compose service ${s.name} (build)`, log: ctx.log, signal: ctx.signal },
    );
  }
  await containers.requireImages([
    ...new Set(services.flatMap((s) => (s.build || !s.image ? [] : [s.image]))),
  ]);

  const hostPorts: Record<string, Record<number, number>> = {};
  for (const s of services) {
    hostPorts[s.name] = {};
    for (const p of s.published) (hostPorts[s.name] as Record<number, number>)[p] = await ctx.freePort();
  }
  // In the report's directory: what was brought up stays on file with the report.
  const runFile = join(ctx.runDir, 'docker-compose.run.yml');
  const runArgs = ['-f', runFile, '-p', project, ...profiles];
  const envObj = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
  envObj.info.compose = {
    cli: `${cli.argv.join(' ')} ${cli.version} (Compose v${cli.major})`,
    project,
    files: env.model.files,
    runFile,
    keepVolumes: spec.compose.keepVolumes,
  };
  // Deferred first, so it runs last: after every service is stopped (and its faults healed).
  envObj.defer(async () => {
    if (!existsSync(runFile)) return;
    const down = [
      ...runArgs,
      'down',
      '--remove-orphans',
      '-t',
      '5',
      ...(spec.compose.keepVolumes ? [] : ['-v']),
    ];
    await compose(cli, down, { env: vars, timeoutMs: 120_000, what: `${what} (teardown)` }).catch(
      (err: Error) => ctx.log(`compose down: ${err.message}`),
    );
  });
  try {
    // Before the run file: an overlay's `environment:` may name the proxy's address for containers.
    const proxies = await startComposeProxies(env, hostPorts, ctx.freePort, () => bridgeGateway(containers));
    if (proxies) {
      envObj.defer(() => proxies.close());
      envObj.extensions.set(FAULT_PROXY, proxies.routing);
      envObj.info.faultProxy = { apiUrl: proxies.proxy.apiUrl, proxies: proxies.routes };
    }
    const environment = overlayEnvironment(env, proxies?.forContainers ?? {});
    writeFileSync(
      runFile,
      stringify(
        runComposeFile(config, {
          services,
          labels: containers.labels,
          hostPorts,
          images,
          keepVolumes: spec.compose.keepVolumes,
          environment,
          serviceLabel: LABELS.service,
          keepLabel: LABELS.keepVolume,
        }),
        // Compose v1 reads YAML 1.1: "no", "on", "yes" must stay strings.
        { version: '1.1' },
      ),
    );
    ctx.log(
      `compose up (${cli.argv.join(' ')} ${cli.version}): project ${project}, ${services.map((s) => s.name).join(', ')}`,
    );
    const up = await compose(cli, [...runArgs, 'up', '-d', '--no-build', '--no-color'], {
      env: vars,
      timeoutMs,
      signal: ctx.signal,
      what,
    });
    writeFileSync(join(ctx.runDir, 'compose-up.log'), `${up.stdout}${up.stderr}`);
    if (Object.keys(environment).length) envObj.info.composeEnvironment = environment;
    await superviseServices(ctx, env, services, hostPorts, proxies?.clientPorts ?? {}, project, envObj);
    return envObj;
  } catch (err) {
    await envObj[Symbol.asyncDispose]();
    throw err;
  }
}

/** Each overlay `environment:` with its proxy references resolved. */
function overlayEnvironment(
  env: ComposeEnvironment,
  forContainers: Readonly<Record<string, Readonly<Record<number, string>>>>,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [svc, o] of Object.entries(env.spec.services)) {
    for (const [k, v] of Object.entries(o.environment)) {
      const vars = out[svc] ?? {};
      out[svc] = vars;
      vars[k] = substitute(
        v,
        (ref) => (ref.kind === 'proxied' ? forContainers[ref.service]?.[Number(ref.port)] : undefined),
        (whole) => {
          throw new HarnessError(
            'INVALID_INPUT',
            `${env.file}: services.${svc}.environment.${k}: ${whole} has no address`,
          );
        },
      );
    }
  }
  return out;
}

/** The default bridge's gateway: the host address every container can reach. */
async function bridgeGateway(
  containers: NonNullable<EnvironmentStartContext['containers']>,
): Promise<string> {
  const info = await containers.docker.getNetwork('bridge').inspect();
  const gw = (info.IPAM?.Config ?? []).map((c) => c.Gateway).find(Boolean);
  if (!gw) {
    throw new HarnessError(
      'CONTAINERS_UNAVAILABLE',
      "the Docker engine's default bridge network has no gateway address; a service's containers cannot reach the fault proxy",
    );
  }
  return gw;
}

async function superviseServices(
  ctx: EnvironmentStartContext,
  env: ComposeEnvironment,
  services: readonly ConfigService[],
  hostPorts: Readonly<Record<string, Readonly<Record<number, number>>>>,
  clientPorts: Readonly<Record<string, Readonly<Record<number, number>>>>,
  project: string,
  envObj: LocalEnvironment,
): Promise<void> {
  const containers = ctx.containers as NonNullable<typeof ctx.containers>;
  const docker = containers.docker;
  const listed = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${COMPOSE_LABELS.project}=${project}`] }),
  });
  const ready: Promise<void>[] = [];
  for (const s of services) {
    const mine = listed.filter((c) => c.Labels[COMPOSE_LABELS.service] === s.name);
    if (mine.length !== 1) {
      throw new HarnessError(
        'NOT_READY',
        `${env.file}: compose service "${s.name}" has ${mine.length} containers in project ${project}; expected 1`,
      );
    }
    const id = (mine[0] as (typeof mine)[number]).Id;
    const o = env.spec.services[s.name];
    const runner = new ManagedContainer(docker, {
      name: s.name,
      image: s.image ?? '',
      cmd: [],
      ports: [],
      network: '',
      labels: {},
      logFile: join(ctx.runDir, `${s.name}.log`),
      containerName: id,
    });
    await runner.adopt(id);
    const networks = Object.keys((await docker.getContainer(id).inspect()).NetworkSettings.Networks ?? {});
    const ports = hostPorts[s.name] ?? {};
    const endpoints: Record<string, Endpoint> = {};
    for (const [p, host] of Object.entries(ports)) {
      const client = clientPorts[s.name]?.[Number(p)];
      endpoints[p] = { host: '127.0.0.1', port: client ?? host };
      if (client !== undefined) endpoints[`${p}_direct`] = { host: '127.0.0.1', port: host };
    }
    for (const [k, p] of Object.entries(o?.endpoints ?? {})) if (endpoints[p]) endpoints[k] = endpoints[p];
    const checks: ReadyCheck[] = [];
    if (s.healthcheck) {
      checks.push({
        kind: 'custom',
        description: `compose healthcheck of "${s.name}" reporting healthy`,
        test: async () => (await docker.getContainer(id).inspect()).State.Health?.Status === 'healthy',
      });
    }
    const r = o?.ready;
    if (r?.http)
      checks.push({
        kind: 'http',
        url: `http://127.0.0.1:${ports[r.http.port]}${r.http.path}`,
        status: r.http.status,
      });
    else if (r?.tcp) checks.push({ kind: 'tcp', host: '127.0.0.1', port: ports[r.tcp.port] as number });
    else if (r?.command) checks.push({ kind: 'command', argv: r.command });
    const check: ReadyCheck | undefined =
      checks.length <= 1
        ? checks[0]
        : {
            kind: 'custom',
            description: checks.map((c) => (c.kind === 'custom' ? c.description : c.kind)).join(', then '),
            test: async (t) => {
              for (const c of checks) if (!(await checkOnce(c, t))) return false;
              return true;
            },
          };
    const policy = o?.restart?.policy ?? s.restart;
    const maxRestarts = o?.restart?.maxRestarts ?? s.maxRestarts;
    const service = envObj.add(
      new SupervisedService({
        name: s.name,
        runner,
        isolate: (signal) =>
          isolateContainer({ docker, labels: containers.labels, network: networks }, runner, signal),
        endpoints,
        files: containerDataFiles(s.name, runner, o?.dataPaths ?? {}),
        ...(o?.role ? { role: o.role } : {}),
        ...(check
          ? { ready: { check, timeoutMs: r?.timeout ?? 60_000, intervalMs: r?.interval ?? 200 } }
          : {}),
        restart: {
          policy,
          delayMs: o?.restart?.delay ?? 100,
          backoff: o?.restart?.backoff ?? 2,
          maxDelayMs: o?.restart?.maxDelay ?? 60_000,
          resetAfterMs: o?.restart?.resetAfter ?? 10_000,
          ...(maxRestarts !== undefined ? { maxRestarts } : {}),
        },
        stopGraceMs: o?.stopGrace ?? 10_000,
        emit: ctx.emit,
      }),
    );
    ready.push(service.start(ctx.signal));
  }
  const results = await Promise.allSettled(ready);
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed) throw failed.reason;
}
