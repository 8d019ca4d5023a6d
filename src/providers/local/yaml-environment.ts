import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ValidationError, type ValidationIssue } from '../../core/errors.js';
import type { StartedEnvironment } from '../../core/types.js';
import { FAULT_PROXY } from '../../proxy/routing.js';
import type { OptionValue } from '../../scenario/environment-options.js';
import { type EnvironmentFileSpec, type ServiceSpec, unknownSubstitution } from '../../scenario/schema.js';
import { substitute } from '../../scenario/substitution.js';
import { containerDataFiles } from '../containers/container-data-files.js';
import { isolateContainer } from '../containers/partition.js';
import type { EnvironmentStartContext } from '../provider.js';
import { SupervisedService } from '../supervised-service.js';
import { localDataFiles } from './local-data-files.js';
import { LocalEnvironment } from './local-environment.js';
import { lookupUser } from './managed-process.js';
import type { ReadyCheck } from './readiness.js';
import { startYamlProxies, type YamlProxies } from './yaml-proxies.js';

/** Service names in start order: each after what it depends on, otherwise as declared. */
export function startOrder(services: EnvironmentFileSpec['services']): string[] {
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    for (const dep of services[name]?.dependsOn ?? []) visit(dep);
    order.push(name);
  };
  for (const name of Object.keys(services)) visit(name);
  return order;
}

/** Start the services of an `environment.yaml`: dependencies first (ready before dependants), else as declared. */
export async function startYamlEnvironment(
  ctx: EnvironmentStartContext,
  spec: EnvironmentFileSpec,
  file: string,
  options: Readonly<Record<string, OptionValue>> = spec.options,
): Promise<StartedEnvironment> {
  const ports: Record<string, Record<string, number>> = {};
  for (const [name, s] of Object.entries(spec.services)) {
    ports[name] = {};
    for (const p of s.ports) (ports[name] as Record<string, number>)[p] = await ctx.freePort();
  }
  const proxies = await startYamlProxies(spec, ports, () => ctx.freePort());
  const envObj = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
  if (proxies) {
    // Deferred first, so closed last: services are stopped before the path to them goes.
    envObj.defer(() => proxies.proxy.close());
    envObj.extensions.set(FAULT_PROXY, proxies.routing);
    envObj.info.faultProxy = { apiUrl: proxies.proxy.apiUrl, proxies: proxies.routes };
  }
  try {
    return await startServices(ctx, spec, file, options, ports, proxies, envObj);
  } catch (err) {
    await envObj[Symbol.asyncDispose]();
    throw err;
  }
}

async function startServices(
  ctx: EnvironmentStartContext,
  spec: EnvironmentFileSpec,
  file: string,
  options: Readonly<Record<string, OptionValue>>,
  ports: Readonly<Record<string, Readonly<Record<string, number>>>>,
  proxies: YamlProxies | undefined,
  envObj: LocalEnvironment,
): Promise<LocalEnvironment> {
  const issues: ValidationIssue[] = [];
  const substituteIn = (svc: string, value: string, path: string): string =>
    substitute(
      value,
      (ref) => {
        if (ref.kind === 'dir')
          return ref.name === 'workDir' ? ctx.workDir : ref.name === 'runDir' ? ctx.runDir : ctx.dir;
        if (ref.kind === 'option') return options[ref.name];
        if (ref.kind === 'proxied') return undefined;
        // Another service reaches a proxied port through the proxy; a service binds its real port.
        if (ref.service !== undefined) {
          return proxies?.clientPorts[ref.service]?.[ref.port] ?? ports[ref.service]?.[ref.port];
        }
        return ports[svc]?.[ref.port];
      },
      (whole) => issues.push({ path, message: unknownSubstitution(whole) }),
    );

  const prepared = startOrder(spec.services).map((name) => {
    const s = spec.services[name] as ServiceSpec;
    const at = `services.${name}`;
    const files = s.files.map((f, i) => {
      const path = resolve(ctx.workDir, substituteIn(name, f.path, `${at}.files[${i}].path`));
      const rel = relative(ctx.workDir, path);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
        issues.push({
          path: `${at}.files[${i}].path`,
          message: `expected a path inside the run's work directory; ${f.path} is ${path}`,
        });
      }
      const where = f.template === undefined ? `${at}.files[${i}].content` : `${at}.files[${i}].template`;
      const text = f.content ?? readFileSync(resolve(ctx.dir, f.template as string), 'utf8');
      return { path, text: substituteIn(name, text, where) };
    });
    const args = s.args.map((a, i) => substituteIn(name, a, `${at}.args[${i}]`));
    const env = Object.fromEntries(
      Object.entries(s.env).map(([k, v]) => [k, substituteIn(name, v, `${at}.env.${k}`)]),
    );
    const dataPaths = Object.fromEntries(
      Object.entries(s.dataPaths).map(([k, v]) => [k, substituteIn(name, v, `${at}.dataPaths.${k}`)]),
    );
    const svcPorts = ports[name] as Record<string, number>;
    for (const [kind, ref] of [
      ['http', s.ready?.http?.port],
      ['tcp', s.ready?.tcp?.port],
    ] as const) {
      if (ref !== undefined && svcPorts[ref] === undefined) {
        issues.push({
          path: `${at}.ready.${kind}.port`,
          message: `"${ref}" is not one of this service's ports`,
        });
      }
    }
    return { name, s, args, env, dataPaths, files, svcPorts, image: s.image };
  });
  if (issues.length) throw new ValidationError(file, issues);

  const containers = ctx.provider === 'containers' ? ctx.containers : undefined;
  if (ctx.provider === 'containers') {
    const without = prepared
      .filter((x) => x.s.image === undefined && x.s.build === undefined)
      .map((x) => `services.${x.name}.image`);
    if (!containers || without.length > 0) {
      throw new ValidationError(
        file,
        without.map((path) => ({
          path,
          message: 'the containers provider needs an image to run this service in (give "image" or "build")',
        })),
      );
    }
    await containers.requireImages([
      ...new Set(prepared.flatMap((x) => (x.s.image === undefined ? [] : [x.s.image]))),
    ]);
    for (const x of prepared) {
      if (!x.s.build) continue;
      x.image = await containers.buildImage(
        x.name,
        { ...x.s.build, context: resolve(ctx.dir, x.s.build.context) },
        { what: `${file}: services.${x.name}.build`, log: ctx.log, signal: ctx.signal },
      );
    }
  }

  for (const { name, s, args, env, dataPaths, files, svcPorts, image } of prepared) {
    const owner = s.user && !containers && process.getuid?.() === 0 ? lookupUser(s.user) : undefined;
    for (const p of Object.values(dataPaths)) {
      mkdirSync(dirname(p), { recursive: true });
      if (owner) chownSync(dirname(p), owner.uid, owner.gid);
    }
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.text);
      if (owner) chownSync(f.path, owner.uid, owner.gid);
    }
    let check: ReadyCheck | undefined;
    if (s.ready?.http) {
      const port = svcPorts[s.ready.http.port] as number;
      check = {
        kind: 'http',
        url: `http://127.0.0.1:${port}${s.ready.http.path}`,
        status: s.ready.http.status,
      };
    } else if (s.ready?.tcp)
      check = { kind: 'tcp', host: '127.0.0.1', port: svcPorts[s.ready.tcp.port] as number };
    else if (s.ready?.command) check = { kind: 'command', argv: s.ready.command };
    const cwd = s.cwd ? (isAbsolute(s.cwd) ? s.cwd : resolve(ctx.dir, s.cwd)) : ctx.dir;
    const logFile = join(ctx.runDir, `${name}.log`);
    // In a container the environment's folder and the run's work directory are mounted at the
    // same paths, so commands, ${envDir}, ${workDir} and data paths mean the same thing there.
    const runner = containers?.container({
      name,
      image: image as string,
      cmd: [s.command, ...args],
      env: { HOST: '0.0.0.0', ...env },
      user: s.user,
      workingDir: cwd,
      ports: Object.values(svcPorts),
      binds: [`${ctx.dir}:${ctx.dir}:ro`, `${ctx.workDir}:${ctx.workDir}`],
      logFile,
    });
    const service = envObj.add(
      new SupervisedService({
        name,
        ...(runner && containers
          ? { runner, isolate: (signal?: AbortSignal) => isolateContainer(containers, runner, signal) }
          : {
              process: {
                name,
                command: s.command,
                args,
                env,
                cwd,
                user: s.user,
                logFile,
                runId: ctx.runId,
              },
            }),
        endpoints: Object.fromEntries(
          Object.entries(svcPorts).flatMap(([k, port]) => {
            const client = proxies?.clientPorts[name]?.[k];
            return client === undefined
              ? [[k, { host: '127.0.0.1', port }]]
              : [
                  [k, { host: '127.0.0.1', port: client }],
                  [`${k}_direct`, { host: '127.0.0.1', port }],
                ];
          }),
        ),
        files: runner ? containerDataFiles(name, runner, dataPaths) : localDataFiles(name, dataPaths),
        ...(s.role ? { role: s.role } : {}),
        ...(check && s.ready
          ? { ready: { check, timeoutMs: s.ready.timeout, intervalMs: s.ready.interval } }
          : {}),
        ...(s.restart
          ? {
              restart: {
                policy: s.restart.policy,
                delayMs: s.restart.delay,
                backoff: s.restart.backoff,
                maxDelayMs: s.restart.maxDelay,
                maxRestarts: s.restart.maxRestarts,
                resetAfterMs: s.restart.resetAfter,
              },
            }
          : {}),
        stopGraceMs: s.stopGrace,
        emit: ctx.emit,
      }),
    );
    ctx.log(`starting ${name}${runner ? ` in ${image}` : ''}: ${s.command} ${args.join(' ')}`);
    await service.start(ctx.signal);
  }
  return envObj;
}
