// app-bluegreen on the containers provider: HAProxy in a chaos-harness/haproxy container, each
// slot's app in a chaos-harness/node container, all on the run's network. HAProxy reaches the slots
// by their network aliases (blue, green; haproxy-containers.cfg.template says how it resolves them);
// its frontend and its runtime API (a TCP stats socket) are published on 127.0.0.1, as is each
// slot's port (the pipeline's health check and the harness come from the host).
//
// The pipeline (deploy.mjs, on the host) starts and removes slot containers with the docker CLI
// (slots-docker.mjs), labelled with the run like everything else of it, so teardown and the next
// run's sweep remove them. The environment starts only the first version, the same way.
import { join } from 'node:path';
import { HarnessError } from '../../src/core/errors.js';
import type { StartedEnvironment } from '../../src/core/types.js';
import { binaryVersions, inContainer } from '../../src/providers/binary-versions.js';
import { LABELS } from '../../src/providers/containers/engine.js';
import { LocalEnvironment } from '../../src/providers/local/local-environment.js';
import type { EnvironmentStartContext } from '../../src/providers/provider.js';
import { SupervisedService } from '../../src/providers/supervised-service.js';
import { ContainerSlotService } from './container-slot-service.js';
import { ContainerStates } from './container-states.js';
import { publishBlueGreen } from './deploy-extension.js';
import type { AppBlueGreenOptions } from './environment.js';
import type { RuntimeApi } from './haproxy-runtime.mjs';
import { initialState, renderConfig, waitForSocket } from './stack.js';
import { type BlueGreenState, type SlotName, writeState } from './state.js';

export const HAPROXY_IMAGE = 'chaos-harness/haproxy:latest';
export const NODE_IMAGE = 'chaos-harness/node:latest';

function hostUser(): string | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined || gid === undefined ? undefined : `${uid}:${gid}`;
}

export async function startInContainers(
  ctx: EnvironmentStartContext,
  o: AppBlueGreenOptions,
): Promise<StartedEnvironment> {
  const t0 = ctx.clock.now();
  const rt = ctx.containers;
  if (!rt)
    throw new HarnessError('INTERNAL', 'the containers provider started app-bluegreen without a runtime');
  await rt.requireImages([HAPROXY_IMAGE, NODE_IMAGE]);
  const proxyPort = await ctx.freePort();
  const apiPort = await ctx.freePort();
  const bluePort = await ctx.freePort();
  const greenPort = await ctx.freePort();

  const env = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
  try {
    // Subscribed before the first container starts; closed last, after every container is gone.
    const states = await ContainerStates.watch(rt.docker, ctx.runId);
    env.defer(() => states[Symbol.asyncDispose]());

    const cfgPath = renderConfig(
      join(ctx.dir, 'haproxy-containers.cfg.template'),
      {
        apiPort: String(apiPort),
        proxyPort: String(proxyPort),
        bluePort: String(bluePort),
        greenPort: String(greenPort),
      },
      ctx.workDir,
    );
    const api: RuntimeApi = { host: '127.0.0.1', port: apiPort };
    const statePath = join(ctx.workDir, 'bluegreen-state.json');
    const user = hostUser();
    const state: BlueGreenState = {
      ...initialState({
        socket: api,
        proxyPort,
        ports: { blue: bluePort, green: greenPort },
        envDir: ctx.dir,
        runDir: ctx.runDir,
        app: o,
      }),
      containers: {
        image: NODE_IMAGE,
        network: rt.network,
        labels: { ...rt.labels },
        serviceLabel: LABELS.service,
        ...(user ? { user } : {}),
        binds: [`${ctx.dir}:${ctx.dir}:ro`, `${ctx.runDir}:${ctx.runDir}`],
        namePrefix: `chaos-harness-${ctx.runId}`,
      },
    };
    writeState(statePath, state);

    let proxyUp = false;
    const slots = {} as Record<SlotName, ContainerSlotService>;
    for (const slot of ['blue', 'green'] as const) {
      slots[slot] = env.add(
        new ContainerSlotService({
          slot,
          statePath,
          runId: ctx.runId,
          docker: rt.docker,
          states,
          readyTimeoutMs: o.readyTimeoutMs,
          proxyUp: () => proxyUp,
        }),
      );
    }
    // Before HAProxy, which resolves blue's alias when it starts.
    await slots.blue.start(ctx.signal);

    const runner = rt.container({
      name: 'proxy',
      image: HAPROXY_IMAGE,
      cmd: ['haproxy', '-db', '-f', cfgPath],
      ports: [proxyPort, apiPort],
      binds: [`${ctx.workDir}:${ctx.workDir}:ro`],
      logFile: join(ctx.runDir, 'haproxy.log'),
    });
    // Added last so it is disposed first: no traffic reaches slots that are being stopped.
    const proxy = env.add(
      new SupervisedService({
        name: 'proxy',
        runner,
        endpoints: { http: { host: '127.0.0.1', port: proxyPort } },
        role: 'proxy',
        // HTTP through HAProxy to the live slot: the engine accepts on a published port before
        // HAProxy listens, so a TCP connect would say nothing.
        ready: {
          check: { kind: 'http', url: `http://127.0.0.1:${proxyPort}/health`, status: 200 },
          timeoutMs: o.readyTimeoutMs,
          intervalMs: 50,
        },
        stopGraceMs: 2000,
        emit: ctx.emit,
      }),
    );
    await proxy.start(ctx.signal);
    proxyUp = true;
    const info = await waitForSocket(api, ctx.signal, o.readyTimeoutMs);

    publishBlueGreen(env, {
      envDir: ctx.dir,
      statePath,
      runId: ctx.runId,
      logDir: ctx.runDir,
      slots,
      bringUpMs: ctx.clock.now() - t0,
      haproxyInfo: info,
      versions: await binaryVersions(inContainer(runner), { haproxy: ['haproxy', '-v'] }),
      info: {
        proxyPort,
        runtimeApi: `127.0.0.1:${apiPort}`,
        slotPorts: { blue: bluePort, green: greenPort },
        initialVersion: o.initialVersion,
        provider: 'containers',
        network: rt.network,
        images: { [HAPROXY_IMAGE]: rt.images[HAPROXY_IMAGE], [NODE_IMAGE]: rt.images[NODE_IMAGE] },
      },
    });
    return env;
  } catch (err) {
    await env[Symbol.asyncDispose]();
    throw err;
  }
}
