import { chownSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ValidationError, type ValidationIssue } from '../../core/errors.js';
import type { EnvironmentStartContext, StartedEnvironment } from '../../core/types.js';
import type { EnvironmentFileSpec } from '../../scenario/schema.js';
import { containerDataFiles } from '../containers/container-data-files.js';
import { isolateContainer } from '../containers/partition.js';
import { localDataFiles } from './local-data-files.js';
import { LocalEnvironment } from './local-environment.js';
import { LocalService } from './local-service.js';
import { lookupUser } from './managed-process.js';
import type { ReadyCheck } from './readiness.js';

const VAR = /\$\{([^}]+)\}/g;

/** Start the services of an `environment.yaml`, in the order they are declared. */
export async function startYamlEnvironment(
  ctx: EnvironmentStartContext,
  spec: EnvironmentFileSpec,
  file: string,
): Promise<StartedEnvironment> {
  const ports: Record<string, Record<string, number>> = {};
  for (const [name, s] of Object.entries(spec.services)) {
    ports[name] = {};
    for (const p of s.ports) (ports[name] as Record<string, number>)[p] = await ctx.freePort();
  }
  const issues: ValidationIssue[] = [];
  const substitute = (svc: string, value: string, path: string): string =>
    value.replace(VAR, (whole, expr: string) => {
      const parts = expr.split('.');
      let v: string | number | undefined;
      if (expr === 'workDir') v = ctx.workDir;
      else if (expr === 'runDir') v = ctx.runDir;
      else if (expr === 'envDir') v = ctx.dir;
      else if (parts[0] === 'ports' && parts.length === 2) v = ports[svc]?.[parts[1] as string];
      else if (parts[0] === 'services' && parts[2] === 'ports' && parts.length === 4) {
        v = ports[parts[1] as string]?.[parts[3] as string];
      }
      if (v === undefined) {
        issues.push({
          path,
          message: `unknown substitution ${whole}; expected \${ports.<name>}, \${services.<svc>.ports.<name>}, \${workDir}, \${runDir} or \${envDir}`,
        });
        return whole;
      }
      return String(v);
    });

  const prepared = Object.entries(spec.services).map(([name, s]) => {
    const at = `services.${name}`;
    const args = s.args.map((a, i) => substitute(name, a, `${at}.args[${i}]`));
    const env = Object.fromEntries(
      Object.entries(s.env).map(([k, v]) => [k, substitute(name, v, `${at}.env.${k}`)]),
    );
    const dataPaths = Object.fromEntries(
      Object.entries(s.dataPaths).map(([k, v]) => [k, substitute(name, v, `${at}.dataPaths.${k}`)]),
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
    return { name, s, args, env, dataPaths, svcPorts };
  });
  if (issues.length) throw new ValidationError(file, issues);

  const containers = ctx.provider === 'containers' ? ctx.containers : undefined;
  if (ctx.provider === 'containers') {
    const without = prepared.filter((x) => x.s.image === undefined).map((x) => `services.${x.name}.image`);
    if (!containers || without.length > 0) {
      throw new ValidationError(
        file,
        without.map((path) => ({
          path,
          message: 'the containers provider needs an image to run this service in',
        })),
      );
    }
    await containers.requireImages([...new Set(prepared.map((x) => x.s.image as string))]);
  }

  const envObj = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
  try {
    for (const { name, s, args, env, dataPaths, svcPorts } of prepared) {
      const owner = s.user && !containers && process.getuid?.() === 0 ? lookupUser(s.user) : undefined;
      for (const p of Object.values(dataPaths)) {
        mkdirSync(dirname(p), { recursive: true });
        if (owner) chownSync(dirname(p), owner.uid, owner.gid);
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
      // same paths, so commands, ${envDir}, ${workDir} and data paths mean the same thing there;
      // its data files are still reached through the container (containerDataFiles), as a
      // container's are wherever they live.
      const runner = containers?.container({
        name,
        image: s.image as string,
        cmd: [s.command, ...args],
        env: { HOST: '0.0.0.0', ...env },
        user: s.user,
        workingDir: cwd,
        ports: Object.values(svcPorts),
        binds: [`${ctx.dir}:${ctx.dir}:ro`, `${ctx.workDir}:${ctx.workDir}`],
        logFile,
      });
      const service = envObj.add(
        new LocalService({
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
            Object.entries(svcPorts).map(([k, port]) => [k, { host: '127.0.0.1', port }]),
          ),
          files: runner ? containerDataFiles(name, runner, dataPaths) : localDataFiles(name, dataPaths),
          ...(s.role ? { role: s.role } : {}),
          ...(check && s.ready
            ? { ready: { check, timeoutMs: s.ready.timeout, intervalMs: s.ready.interval } }
            : {}),
          ...(s.restart ? { restart: { policy: s.restart.policy, delayMs: s.restart.delay } } : {}),
          stopGraceMs: s.stopGrace,
          emit: ctx.emit,
        }),
      );
      ctx.log(`starting ${name}${runner ? ` in ${s.image}` : ''}: ${s.command} ${args.join(' ')}`);
      await service.start(ctx.signal);
    }
  } catch (err) {
    await envObj[Symbol.asyncDispose]();
    throw err;
  }
  return envObj;
}
