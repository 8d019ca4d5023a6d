// HAProxy runtime API over its unix socket, shared by the deploy pipeline and environment.ts
// (types in haproxy-runtime.d.mts). Non-interactive mode: one command, one answer, then close.
import { createConnection } from 'node:net';

export function haproxy(socket, command, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let out = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`haproxy: no answer to "${command}" on ${socket} within ${timeoutMs}ms`));
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

/** `show stat` rows of one backend's servers, by server name. */
export async function serverStats(socket, backend) {
  const csv = await haproxy(socket, 'show stat');
  const [header, ...rows] = csv.trim().split('\n');
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const out = {};
  for (const row of rows) {
    const cells = row.split(',');
    const rec = Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']));
    if (rec.pxname === backend && rec.svname !== 'BACKEND') out[rec.svname] = rec;
  }
  return out;
}

/** The one server not in maintenance. Throws when none or both take traffic. */
export async function liveSlot(socket, backend) {
  const stats = await serverStats(socket, backend);
  const live = Object.values(stats).filter((s) => !s.status.includes('MAINT'));
  if (live.length !== 1) {
    throw new Error(
      `expected exactly one live server in ${backend}, found ${live.map((s) => s.svname).join(', ') || 'none'}`,
    );
  }
  return live[0].svname;
}

/** Both commands in one request, so HAProxy applies them back to back. */
export async function setTraffic(socket, backend, to, from) {
  const answer = await haproxy(
    socket,
    `set server ${backend}/${to} state ready; set server ${backend}/${from} state maint`,
  );
  if (answer.trim() !== '') throw new Error(`haproxy refused the switch ${from} -> ${to}: ${answer.trim()}`);
}
