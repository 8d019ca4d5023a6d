// In-memory stand-ins for everything the lifecycle is given (a provider, its environment, probe,
// fault and action kinds, the report-directory claim), for tests of the lifecycle itself: what it
// acquires and releases, in which order, and how it judges. Scenarios are tested against real
// servers elsewhere; nothing here starts a process or touches the disk.

import { z } from 'zod';
import { Extensions, WAIT_HEALTHY } from '../core/extensions.js';
import type { Provider, ProviderRun } from '../core/provider.js';
import type { Kinds, RunDeps } from '../core/run/deps.js';
import type { Injector, OpRecord, Probe, RunningProbe, StartedEnvironment } from '../core/types.js';
import type { LoadedScenario, ResolvedFault, ResolvedTarget } from '../scenario/load.js';
import { scenario as scenarioSchema } from '../scenario/schema.js';

/** The fake stack's state, and the trail of everything acquired and released, in order. */
export interface FakeWorld {
  trail: string[];
  /** The fake service answers (its probe's operations succeed) while this is true. */
  up: boolean;
  /** Set: the probe reports that its client ended. */
  probeBroken: boolean;
  /** Called when a fault is injected (a test aborts the run there). */
  onInject?: () => void;
  /** Give the environment a waitHealthy extension, awaited between iterations. */
  waitHealthy?: boolean;
}

export function fakeWorld(over: Partial<FakeWorld> = {}): FakeWorld {
  return { trail: [], up: true, probeBroken: false, ...over };
}

function fakeEnvironment(world: FakeWorld, runDir: string): StartedEnvironment {
  const extensions = new Extensions();
  if (world.waitHealthy) {
    extensions.set(WAIT_HEALTHY, async () => {
      world.trail.push('wait healthy');
    });
  }
  return {
    name: 'fake',
    runDir,
    workDir: runDir,
    services: new Map(),
    info: { fake: true },
    extensions,
    async resolve() {
      throw new Error('the fake environment has no services');
    },
    async [Symbol.asyncDispose]() {
      world.trail.push('stop environment');
    },
  };
}

export function fakeProvider(world: FakeWorld): Provider {
  return {
    name: 'local',
    async checkEnvironment() {},
    async sweep() {
      world.trail.push('sweep');
    },
    async open({ runId }) {
      world.trail.push('open provider run');
      const run: ProviderRun = {
        provider: 'local',
        runId,
        async startEnvironment(_env, ctx) {
          world.trail.push('start environment');
          return fakeEnvironment(world, ctx.runDir);
        },
        info: () => ({ fakeProvider: true }),
        async close() {
          world.trail.push('close provider run');
          return undefined;
        },
      };
      return run;
    },
  };
}

/** An open-loop probe of the fake service: one operation per interval, ok while the world is up. */
function fakeProbe(world: FakeWorld): Probe<Record<string, never>> {
  return {
    params: z.object({}),
    async start(ctx, _params, common) {
      world.trail.push(`start probe ${common.name}`);
      const ops: OpRecord[] = [];
      const timer = setInterval(() => {
        const now = ctx.clock.now();
        ops.push({
          id: ops.length,
          startMs: now,
          endMs: now + 0.1,
          outcome: world.up ? 'ok' : 'fail',
          ...(world.up ? {} : { error: 'fake service down' }),
        });
      }, common.intervalMs);
      const probe: RunningProbe = {
        name: common.name,
        kind: 'fake',
        intervalMs: common.intervalMs,
        timeoutMs: common.timeoutMs,
        ops: () => ops,
        async stop() {
          clearInterval(timer);
        },
        failure: () => (world.probeBroken ? 'its client ended (broken by the test)' : undefined),
        async [Symbol.asyncDispose]() {
          clearInterval(timer);
          world.trail.push(`stop probe ${common.name}`);
        },
      };
      return probe;
    },
  };
}

function fakeFault(world: FakeWorld, name: string, act: () => void, revert = () => {}): Injector<unknown> {
  return {
    params: z.unknown(),
    async inject() {
      act();
      world.trail.push(`inject ${name}`);
      world.onInject?.();
      return {
        description: `fake ${name}`,
        reversible: true,
        details: {},
        async [Symbol.asyncDispose]() {
          revert();
          world.trail.push(`revert ${name}`);
        },
      };
    },
  };
}

/** The kinds a fake scenario can name. */
export function fakeKinds(world: FakeWorld, outageMs = 300): Kinds {
  return {
    probes: { fake: fakeProbe(world) },
    injectors: {
      // The service is down for outageMs, then answers again by itself.
      outage: fakeFault(world, 'outage', () => {
        world.up = false;
        setTimeout(() => {
          world.up = true;
        }, outageMs);
      }),
      // Applied, and changes nothing: the fault that silently did nothing.
      noop: fakeFault(world, 'noop', () => {}),
      'break-probe': fakeFault(world, 'break-probe', () => {
        world.probeBroken = true;
      }),
      throws: {
        params: z.unknown(),
        async inject() {
          throw new Error('the fake injector refuses');
        },
      },
    },
    actions: {},
  };
}

/** Everything the lifecycle is given, as fakes: providers, kinds and the run-directory claim. */
export function fakeDeps(world: FakeWorld, outageMs?: number): RunDeps {
  const provider = fakeProvider(world);
  return {
    providers: { local: provider, containers: { ...provider, name: 'containers' } },
    kinds: fakeKinds(world, outageMs),
    claimRunDir() {
      world.trail.push('claim run dir');
      return {
        [Symbol.dispose]() {
          world.trail.push('release run dir');
        },
      };
    },
  };
}

/**
 * A scenario for the fake kinds: one `fake` probe named "api" every 20 ms, short phases, an RTO
 * target of 2 s. `faults` are fault kinds injected at once; `iterations` gives named iterations.
 */
export function fakeScenario(
  opts: { faults?: string[]; iterations?: string[][]; repeat?: number; settleMs?: number } = {},
): LoadedScenario {
  const toFaults = (kinds: readonly string[]): ResolvedFault[] =>
    kinds.map((kind) => ({ kind, atMs: 0, target: {}, params: {} }));
  const faults = opts.faults ?? ['outage'];
  const spec = scenarioSchema.parse({
    environment: 'fake',
    probes: [{ name: 'api', kind: 'fake' }],
    steadyState: { duration: 150 },
    recovery: { timeout: 2000, stableFor: 100 },
    observe: 0,
    settle: opts.settleMs ?? 0,
    repeat: opts.repeat ?? 1,
    ...(opts.iterations
      ? {
          iterations: opts.iterations.map((kinds, i) => ({
            name: `it-${i}`,
            faults: kinds.map((kind) => ({ kind })),
          })),
        }
      : { faults: faults.map((kind) => ({ kind })) }),
  });
  const target: ResolvedTarget = {
    metric: 'rto',
    unit: 'ms',
    bound: 2000,
    boundText: '2s',
    source: 'fake test',
  };
  return {
    name: 'fake-scenario',
    file: '/fake/fake-scenario.yaml',
    spec,
    envName: 'fake',
    envDir: '/fake/environments/fake',
    probes: [{ name: 'api', kind: 'fake', intervalMs: 20, timeoutMs: 100, target: {}, params: {} }],
    primaryProbe: 'api',
    iterations: opts.iterations
      ? opts.iterations.map((kinds, i) => ({ name: `it-${i}`, faults: toFaults(kinds) }))
      : Array.from({ length: opts.repeat ?? 1 }, () => ({ faults: toFaults(faults) })),
    targets: [target],
  };
}
