// HAProxy runtime API, shared by the deploy pipeline and environment.ts (types in
// haproxy-runtime.d.mts). `api` is a unix socket path (local provider) or { host, port } of a TCP
// stats socket (containers provider: a unix socket inside a container cannot be reached from the
// host). Non-interactive mode: one command, one answer, then close.
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export function describeApi(api) {
  return typeof api === 'string' ? api : `${api.host}:${api.port}`;
}

export function haproxy(api, command, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const conn = createConnection(api);
    let out = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`haproxy: no answer to "${command}" on ${describeApi(api)} within ${timeoutMs}ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${command}\n`));
    conn.on('data', (d) => {
      out += d;
    });
    conn.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Rows of a header line (`# a b c` or `# a,b,c`) and records, by column name. */
function table(text, sep) {
  const lines = text.trim().split('\n');
  const at = lines.findIndex((l) => l.startsWith('# '));
  if (at < 0) return [];
  const cols = (lines[at] ?? '').replace(/^# /, '').split(sep);
  return lines
    .slice(at + 1)
    .filter((l) => l.trim() !== '')
    .map((row) => {
      const cells = row.split(sep);
      return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
    });
}

/** `show stat` rows of one backend's servers, by server name. */
export async function serverStats(api, backend) {
  const out = {};
  for (const rec of table(await haproxy(api, 'show stat'), ',')) {
    if (rec.pxname === backend && rec.svname !== 'BACKEND') out[rec.svname] = rec;
  }
  return out;
}

/** `show servers state` of one backend (address, operational and admin state), by server name. */
export async function serverStates(api, backend) {
  const out = {};
  for (const rec of table(await haproxy(api, `show servers state ${backend}`), ' ')) {
    if (rec.be_name === backend) out[rec.srv_name] = rec;
  }
  return out;
}

/** srv_admin_state bits that mean "an operator (or the config) put it in maintenance". */
const FORCED_MAINT = 0x01 | 0x02;

/**
 * The one server not put in maintenance by an operator. Throws when none or both take traffic.
 * Decided on the admin state, not on `show stat`'s status: a server whose name stopped resolving
 * (its container was killed) shows "MAINT (resolution)" although traffic was never moved off it.
 */
export async function liveSlot(api, backend) {
  const states = Object.values(await serverStates(api, backend));
  const live = states.filter((s) => (Number(s.srv_admin_state) & FORCED_MAINT) === 0);
  if (live.length !== 1) {
    throw new Error(
      `expected exactly one live server in ${backend}, found ${live.map((s) => s.srv_name).join(', ') || 'none'}`,
    );
  }
  return live[0].srv_name;
}

/** Both commands in one request, so HAProxy applies them back to back. */
export async function setTraffic(api, backend, to, from) {
  const answer = await haproxy(
    api,
    `set server ${backend}/${to} state ready; set server ${backend}/${from} state maint`,
  );
  if (answer.trim() !== '') throw new Error(`haproxy refused the switch ${from} -> ${to}: ${answer.trim()}`);
}

/**
 * Waits until HAProxy's address for `server` is `ip` (it resolves server names itself, through the
 * DNS of the container network). Returns the milliseconds it took; throws after `timeoutMs`.
 */
export async function waitForAddress(api, backend, server, ip, timeoutMs) {
  const t0 = Date.now();
  let last = 'unknown';
  for (;;) {
    last = (await serverStates(api, backend))[server]?.srv_addr ?? 'no such server';
    if (last === ip) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(
        `haproxy did not resolve ${backend}/${server} to ${ip} within ${timeoutMs}ms (it has ${last})`,
      );
    }
    await sleep(50);
  }
}
