// How the deploy pipeline runs a slot as a local process (the local provider): spawned detached
// (its own process group, outliving the pipeline), found again by pid and start time.
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Field 22 of /proc/<pid>/stat tells our process from a reused pid. */
function startTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const isAlive = (slot) =>
  slot?.pid !== undefined && slot.pid !== null && startTicks(slot.pid) === slot.startTicks;

export const processSlots = {
  async alive(slot) {
    return isAlive(slot);
  },

  /** Starts `version` in `slot`; returns the slot's new state fields and how to see it exit. */
  async start(state, slot, version) {
    const logFile = join(state.logDir, `${slot}-${Date.now()}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        state.appScript,
        '--port',
        String(state.slots[slot].port),
        '--version',
        version,
        '--slot',
        slot,
        ...state.appArgs,
      ],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    let exitCode;
    child.on('exit', (code, signal) => {
      exitCode = code ?? signal;
    });
    return {
      fields: { version, pid: child.pid, startTicks: startTicks(child.pid), log: logFile },
      detail: `pid=${child.pid}`,
      exited: async () => exitCode,
    };
  },

  async stop(slot, graceMs = 3000) {
    if (!isAlive(slot)) return 'not running';
    const signalGroup = (sig) => {
      try {
        process.kill(-slot.pid, sig);
      } catch {
        // already gone
      }
    };
    signalGroup('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(slot) && Date.now() < deadline) await sleep(25);
    if (isAlive(slot)) signalGroup('SIGKILL');
    while (isAlive(slot) && Date.now() < deadline + 2000) await sleep(25);
    return isAlive(slot) ? 'still running after SIGKILL' : 'stopped';
  },

  cleared(slot) {
    return { ...slot, pid: null, startTicks: null };
  },

  /** Nothing to tell HAProxy: it reaches local slots at fixed loopback addresses. */
  beforeSwitch: undefined,
};
