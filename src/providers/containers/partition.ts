// A real network partition of one container: iptables DROP rules in its network namespace for
// every packet to or from the run's other containers (the network's subnet), in both directions.
// Nothing is refused or reset, so peers see what a real partition shows them: silence and
// timeouts. The bridge gateway is exempt: the harness's host-side clients (probes, control calls
// through the published ports, which Docker forwards from the gateway) still reach the container,
// as an application instance on the far side of the partition would.
//
// The rules are set by a chaos-harness/nettools helper container that joins the target's network
// namespace (`--network container:<id>`, NET_ADMIN only), not by `nsenter` from the host: it
// needs neither root nor iptables on the host and works with a remote engine, which is how teams
// run Docker. It costs ~0.15 s per change instead of nsenter's ~0.004 s (docs/containers.md).

import { randomBytes } from 'node:crypto';
import { HarnessError } from '../../core/errors.js';
import { within } from '../../core/within.js';
import { LABELS, SETUP_HINT } from './engine.js';
import type { ExecResult, ManagedContainer } from './managed-container.js';
import type { ContainerRuntime } from './runtime.js';

export const NETTOOLS_IMAGE = 'chaos-harness/nettools:latest';
const HELPER_TIMEOUT_MS = 15_000;

export interface Isolation extends AsyncDisposable {
  readonly details: Record<string, unknown>;
}

/** Where the helper runs and what it is labelled with; the target is cut off from every network named. */
export interface IsolationScope {
  readonly docker: ContainerRuntime['docker'];
  readonly labels: Readonly<Record<string, string>>;
  readonly network: string | readonly string[];
}

/** Runs `script` with sh in the network namespace of container `targetId`; removes the helper. */
async function nettools(
  runtime: IsolationScope,
  targetId: string,
  script: string,
  signal?: AbortSignal,
): Promise<ExecResult> {
  signal?.throwIfAborted();
  let helper: Awaited<ReturnType<IsolationScope['docker']['createContainer']>>;
  try {
    helper = await runtime.docker.createContainer({
      Image: NETTOOLS_IMAGE,
      Cmd: ['sh', '-c', script],
      // A TTY: the log is the raw output, not Docker's multiplexed frames.
      Tty: true,
      Labels: { ...runtime.labels, [LABELS.service]: 'nettools' },
      HostConfig: {
        NetworkMode: `container:${targetId}`,
        CapAdd: ['NET_ADMIN'],
        RestartPolicy: { Name: 'no' },
      },
    });
  } catch (cause) {
    const msg = (cause as Error).message;
    throw new HarnessError(
      'INJECTION_FAILED',
      /no such image/i.test(msg)
        ? `the network helper image ${NETTOOLS_IMAGE} is not built on this engine; ${SETUP_HINT}`
        : `network helper container could not be created: ${msg}`,
      { cause },
    );
  }
  try {
    await helper.start();
    const waited = await within(
      helper.wait() as Promise<{ StatusCode: number }>,
      HELPER_TIMEOUT_MS,
      undefined,
    );
    if (waited === undefined) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `network helper did not finish within ${HELPER_TIMEOUT_MS} ms: ${script}`,
      );
    }
    const log = (await helper.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: waited.StatusCode, output: log.toString('utf8').trim() };
  } finally {
    await helper.remove({ force: true }).catch(() => {});
  }
}

async function startedAt(runtime: IsolationScope, id: string): Promise<string | undefined> {
  try {
    const s = (await runtime.docker.getContainer(id).inspect()).State;
    return s.Running ? s.StartedAt : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Drops every packet between `container` and the other containers of the run until the returned
 * handle is disposed. A container that is restarted meanwhile gets a new network namespace without
 * the rules: the partition ends with that restart, and disposal says so in `details.healed`.
 */
export async function isolateContainer(
  runtime: IsolationScope,
  container: ManagedContainer,
  signal?: AbortSignal,
): Promise<Isolation> {
  const name = container.spec.name;
  const id = container.containerId;
  const started = id && container.running ? await startedAt(runtime, id) : undefined;
  if (!id || started === undefined) {
    throw new HarnessError(
      'INJECTION_FAILED',
      `cannot isolate service "${name}": its container is not running`,
    );
  }
  const networks = typeof runtime.network === 'string' ? [runtime.network] : [...runtime.network];
  const ranges: { subnet: string; gateway: string }[] = [];
  for (const network of networks) {
    const net = await runtime.docker.getNetwork(network).inspect();
    const ipam = (net.IPAM?.Config ?? [])[0] as { Subnet?: string; Gateway?: string } | undefined;
    if (!ipam?.Subnet || !ipam.Gateway) {
      throw new HarnessError(
        'INJECTION_FAILED',
        `cannot isolate service "${name}": network ${network} reports no subnet and gateway`,
      );
    }
    ranges.push({ subnet: ipam.Subnet, gateway: ipam.Gateway });
  }
  // Chains of our own (names < 29 characters), so healing removes exactly what was added.
  const chain = `CHAOS-${randomBytes(3).toString('hex')}`;
  const [cin, cout] = [`${chain}-IN`, `${chain}-OUT`];
  const apply = [
    'set -e',
    `iptables -w -N ${cin}`,
    `iptables -w -N ${cout}`,
    ...ranges.flatMap(({ subnet, gateway }) => [
      `iptables -w -A ${cin} -s ${gateway} -j RETURN`,
      `iptables -w -A ${cin} -s ${subnet} -j DROP`,
      `iptables -w -A ${cout} -d ${gateway} -j RETURN`,
      `iptables -w -A ${cout} -d ${subnet} -j DROP`,
    ]),
    `iptables -w -I INPUT 1 -j ${cin}`,
    `iptables -w -I OUTPUT 1 -j ${cout}`,
  ].join('\n');
  const heal = [
    `iptables -w -D INPUT -j ${cin}`,
    `iptables -w -D OUTPUT -j ${cout}`,
    `iptables -w -F ${cin}`,
    `iptables -w -X ${cin}`,
    `iptables -w -F ${cout}`,
    `iptables -w -X ${cout}`,
    // Non-zero when any rule of ours is still there.
    `! iptables -w -S | grep -q ${chain}`,
  ].join('\n');
  const t0 = performance.now();
  const applied = await nettools(runtime, id, apply, signal);
  if (applied.exitCode !== 0) {
    await nettools(runtime, id, heal).catch(() => {});
    throw new HarnessError(
      'INJECTION_FAILED',
      `iptables in the network namespace of "${name}" failed (exit ${applied.exitCode}): ${applied.output}`,
    );
  }
  const details: Record<string, unknown> = {
    method: 'iptables DROP in the container network namespace (nettools helper)',
    container: id.slice(0, 12),
    network: networks.join(', '),
    dropped: `${ranges.map((r) => `${r.subnet} except ${r.gateway}`).join(', ')} (the host), both directions`,
    chains: [cin, cout],
    applyMs: Math.round(performance.now() - t0),
  };
  let healing: Promise<void> | undefined;
  return {
    details,
    [Symbol.asyncDispose]() {
      healing ??= (async () => {
        const now = await startedAt(runtime, id);
        if (now !== started) {
          details.healed = 'the container stopped or restarted: its rules went with its network namespace';
          return;
        }
        const t1 = performance.now();
        const r = await nettools(runtime, id, heal);
        if (r.exitCode !== 0) {
          throw new HarnessError(
            'RECOVERY_FAILED',
            `could not remove the partition rules of "${name}" (exit ${r.exitCode}): ${r.output}`,
          );
        }
        details.healed = 'rules removed';
        details.healMs = Math.round(performance.now() - t1);
      })();
      return healing;
    },
  };
}
