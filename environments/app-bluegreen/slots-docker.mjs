// How the deploy pipeline runs a slot as a container (the containers provider), with the docker
// CLI as a container pipeline would. Plain Node, no harness imports: the environment also creates
// slot containers through runSlotContainer, so both make the same container.
//
// A slot container is on the run's network with the slot's name as its alias (HAProxy's server
// line names it), publishes its port on 127.0.0.1 under the same number (the pipeline's health
// check and the harness's probes come from the host) and carries the run's labels, so teardown
// and the next run's sweep remove it even when the harness was SIGKILLed. Its output goes to a
// log in the run directory (mounted at the same path), which outlives the container.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { waitForAddress } from './haproxy-runtime.mjs';

const DOCKER_TIMEOUT_MS = 30_000;
/** How long HAProxy may take to resolve a new slot container (it re-resolves every 200 ms). */
const RESOLVE_TIMEOUT_MS = 10_000;

/** Runs the docker CLI; resolves its trimmed stdout, rejects with its stderr. */
export function docker(args, timeoutMs = DOCKER_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const why = String(stderr || err.message).trim();
        reject(
          new Error(
            `docker ${args[0]} failed${err.killed ? ` (no answer within ${timeoutMs}ms)` : ''}: ${why}`,
          ),
        );
      } else resolve(String(stdout).trim());
    });
  });
}

/** Docker's State of a container, or undefined when it does not exist (any more). */
export async function containerState(id) {
  if (!id) return undefined;
  try {
    return JSON.parse(await docker(['container', 'inspect', '--format', '{{json .State}}', id]));
  } catch (err) {
    if (/no such (object|container)/i.test(err.message)) return undefined;
    throw err;
  }
}

/** The container's address on `network`. */
export async function containerIp(id, network) {
  const nets = JSON.parse(
    await docker(['container', 'inspect', '--format', '{{json .NetworkSettings.Networks}}', id]),
  );
  const ip = nets?.[network]?.IPAddress;
  if (!ip) throw new Error(`container ${id.slice(0, 12)} has no address on network ${network}`);
  return ip;
}

/** Creates and starts `version` in `slot`'s container; returns its id and log file. */
export async function runSlotContainer(state, slot, version) {
  const c = state.containers;
  const port = state.slots[slot].port;
  const now = Date.now();
  const log = join(state.logDir, `${slot}-${now}.log`);
  const args = [
    'run',
    '--detach',
    '--name',
    `${c.namePrefix}-${slot}-${now}`,
    '--network',
    c.network,
    '--network-alias',
    slot,
    '--hostname',
    slot,
    '--publish',
    `127.0.0.1:${port}:${port}`,
    '--restart',
    'no',
    '--env',
    `SLOT_LOG=${log}`,
  ];
  if (c.user) args.push('--user', c.user);
  for (const [k, v] of Object.entries({ ...c.labels, [c.serviceLabel]: slot }))
    args.push('--label', `${k}=${v}`);
  for (const b of c.binds) args.push('--volume', b);
  args.push(
    c.image,
    // exec: node is the process tini forwards signals to (docker stop = SIGTERM to the app).
    'sh',
    '-c',
    'exec node "$@" >>"$SLOT_LOG" 2>&1',
    'app',
    state.appScript,
    '--port',
    String(port),
    '--version',
    version,
    '--slot',
    slot,
    ...state.appArgs,
  );
  const out = await docker(args);
  return { id: out.split('\n').pop(), log };
}

/** Stops (SIGTERM, SIGKILL after graceMs) and removes a container; says what it found. */
export async function removeContainer(id, graceMs = 3000) {
  const before = await containerState(id);
  if (!before) return 'not running';
  if (before.Running) {
    if (before.Paused) await docker(['unpause', id]).catch(() => {});
    await docker(['stop', '--time', String(Math.ceil(graceMs / 1000)), id]);
  }
  await docker(['rm', '--force', '--volumes', id]);
  return before.Running ? 'stopped' : 'not running';
}

export const dockerSlots = {
  async alive(slot) {
    return Boolean((await containerState(slot?.container))?.Running);
  },

  async start(state, slot, version) {
    const { id, log } = await runSlotContainer(state, slot, version);
    return {
      fields: { version, pid: null, startTicks: null, container: id, log },
      detail: `container=${id.slice(0, 12)}`,
      async exited() {
        const s = await containerState(id);
        if (!s) return 'removed';
        return s.Running ? undefined : s.ExitCode;
      },
    };
  },

  async stop(slot, graceMs = 3000) {
    return removeContainer(slot.container, graceMs);
  },

  cleared(slot) {
    return { ...slot, pid: null, startTicks: null, container: null };
  },

  /**
   * HAProxy finds slot containers by name through the network's DNS, and a new container may have
   * a new address: traffic moves only once HAProxy has this one's.
   */
  async beforeSwitch(state, slot) {
    const ip = await containerIp(state.slots[slot].container, state.containers.network);
    const ms = await waitForAddress(state.socket, state.backend, slot, ip, RESOLVE_TIMEOUT_MS);
    return `haproxy resolves ${slot} to ${ip} (after ${ms}ms)`;
  },
};
