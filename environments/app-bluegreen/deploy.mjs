// The deploy pipeline under test, shipped as the reference implementation of the promise
// "blue-green deploys roll back in < 2 min with zero downtime". Plain Node, no harness imports:
// it drives the stack only the way a real pipeline would: start the new version (a process, or a
// container with the docker CLI when the state file has `containers`), HAProxy's runtime API.
//
//   node deploy.mjs --state <workDir>/bluegreen-state.json --version <v> [--no-rollback] ...
//
// Every step prints `STEP <name> <start|ok|fail|skip> <iso time> <detail>`; the last line is
// `RESULT <deployed|rolled-back|failed> <iso time> <detail>`.
// Exit: 0 deployed, 1 failed and rolled back, 2 failed and left as is (--no-rollback), 3 pipeline error.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { liveSlot, serverStats, setTraffic } from './haproxy-runtime.mjs';
import { dockerSlots } from './slots-docker.mjs';
import { processSlots } from './slots-process.mjs';

const { values: args } = parseArgs({
  options: {
    state: { type: 'string' },
    version: { type: 'string' },
    'health-timeout-ms': { type: 'string', default: '10000' },
    'health-interval-ms': { type: 'string', default: '200' },
    'watch-ms': { type: 'string', default: '5000' },
    'max-error-rate': { type: 'string', default: '0.01' },
    'max-p95-ms': { type: 'string', default: '250' },
    'min-requests': { type: 'string', default: '20' },
    'smoke-rate': { type: 'string', default: '20' },
    'drain-ms': { type: 'string', default: '2000' },
    'no-rollback': { type: 'boolean', default: false },
  },
});
const num = (name) => Number(args[name]);

function step(name, status, detail = '') {
  process.stdout.write(`STEP ${name} ${status} ${new Date().toISOString()} ${detail}\n`);
}
function result(outcome, detail, code) {
  process.stdout.write(`RESULT ${outcome} ${new Date().toISOString()} ${detail}\n`);
  // The new slot (detached process or container) must outlive the pipeline: exit explicitly.
  process.exit(code);
}

if (!args.state || !args.version) {
  console.error('usage: deploy.mjs --state <file> --version <version> [--no-rollback]');
  process.exit(3);
}
const statePath = args.state;
const readState = () => JSON.parse(readFileSync(statePath, 'utf8'));
function writeState(state) {
  writeFileSync(`${statePath}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${statePath}.tmp`, statePath);
}

/** Processes or containers: how this stack's slots run (see slots-process.mjs, slots-docker.mjs). */
let slots = processSlots;
const alive = (slot) => slots.alive(slot);
const stopSlot = (slot) => slots.stop(slot);

function httpGet(port, path, timeoutMs, agent) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = get({ host: '127.0.0.1', port, path, agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms`)));
    req.on('error', (err) => resolve({ status: 0, ms: performance.now() - t0, error: err.message }));
  });
}

function p95(samples) {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)];
}

async function rollBack(state, from, to, switched, why) {
  step('rollback', 'start', why);
  if (switched) {
    await setTraffic(state.socket, state.backend, to, from);
    step('switch-back', 'ok', `${from} -> ${to} (version ${state.slots[to].version})`);
    // Let requests already on the bad slot finish before it is stopped.
    const t0 = Date.now();
    while (Date.now() - t0 < num('drain-ms')) {
      const s = (await serverStats(state.socket, state.backend))[from];
      if (!s || Number(s.scur) === 0) break;
      await sleep(50);
    }
  }
  const stopped = await stopSlot(state.slots[from]);
  state.slots[from] = slots.cleared(state.slots[from]);
  writeState(state);
  step('stop-slot', 'ok', `${from}: ${stopped}`);
  step('rollback', 'ok', `traffic on ${to} (version ${state.slots[to].version})`);
  result('rolled-back', `${args.version} rejected: ${why}`, 1);
}

async function main() {
  const state = readState();
  if (state.containers) slots = dockerSlots;
  const from = await liveSlot(state.socket, state.backend);
  const to = from === 'blue' ? 'green' : 'blue';
  const version = args.version;
  step('plan', 'ok', `live=${from} (version ${state.slots[from].version}) target=${to} version=${version}`);

  if (await alive(state.slots[to])) {
    step('stop-idle', 'start', `${to} still runs version ${state.slots[to].version}`);
    step('stop-idle', 'ok', `${to}: ${await stopSlot(state.slots[to])}`);
  }

  step('start-slot', 'start', `${to} version=${version} port=${state.slots[to].port}`);
  const started = await slots.start(state, to, version);
  state.slots[to] = { ...state.slots[to], ...started.fields };
  writeState(state);
  step('start-slot', 'ok', `${to} ${started.detail}`);

  step(
    'health-check',
    'start',
    `GET http://127.0.0.1:${state.slots[to].port}/health, timeout ${num('health-timeout-ms')}ms`,
  );
  const healthStart = Date.now();
  let last = 'no answer';
  for (;;) {
    const exitCode = await started.exited();
    if (exitCode !== undefined) {
      const why = `${to} exited (${exitCode}) after ${Date.now() - healthStart}ms`;
      step('health-check', 'fail', why);
      return failed(state, to, from, false, why);
    }
    const r = await httpGet(state.slots[to].port, '/health', 1000);
    if (r.status === 200) break;
    last = r.status ? `HTTP ${r.status}` : r.error;
    if (Date.now() - healthStart > num('health-timeout-ms')) {
      const why = `not healthy within ${num('health-timeout-ms')}ms (last: ${last})`;
      step('health-check', 'fail', why);
      return failed(state, to, from, false, why);
    }
    await sleep(num('health-interval-ms'));
  }
  step('health-check', 'ok', `healthy after ${Date.now() - healthStart}ms`);

  if (slots.beforeSwitch) {
    step('lb-address', 'start', `${to}: wait until HAProxy has the new address`);
    try {
      step('lb-address', 'ok', await slots.beforeSwitch(state, to));
    } catch (err) {
      const why = String(err?.message ?? err);
      step('lb-address', 'fail', why);
      return failed(state, to, from, false, why);
    }
  }

  const before = (await serverStats(state.socket, state.backend))[to];
  step('switch', 'start', `${from} -> ${to}`);
  await setTraffic(state.socket, state.backend, to, from);
  step('switch', 'ok', `traffic on ${to}`);

  const why = await watch(state, to, before);
  if (why) return failed(state, to, from, true, why);
  state.live = to;
  writeState(state);
  result('deployed', `${version} live on ${to}; ${from} kept idle for rollback`, 0);
}

/** Watches the new slot's live error rate (HAProxy counters) and a smoke probe's p95. */
async function watch(state, to, before) {
  const watchMs = num('watch-ms');
  step(
    'watch',
    'start',
    `${watchMs}ms, max error rate ${num('max-error-rate')}, max p95 ${num('max-p95-ms')}ms`,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const latencies = [];
  let smokeFailed = 0;
  const t0 = Date.now();
  const smoke = setInterval(() => {
    void httpGet(state.proxyPort, '/api/smoke', 2000, agent).then((r) => {
      if (r.status >= 200 && r.status < 500) latencies.push(r.ms);
      else smokeFailed++;
    });
  }, 1000 / num('smoke-rate'));
  const errorsOf = (s) => Number(s?.hrsp_5xx ?? 0) + Number(s?.eresp ?? 0) + Number(s?.econ ?? 0);
  const responsesOf = (s) =>
    ['hrsp_1xx', 'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'eresp', 'econ']
      .map((k) => Number(s?.[k] ?? 0))
      .reduce((a, b) => a + b, 0);
  let detail = '';
  try {
    while (Date.now() - t0 < watchMs) {
      await sleep(200);
      if (!(await alive(state.slots[to]))) {
        step('watch', 'fail', `${to} died during the watch`);
        return `${to} died after the switch`;
      }
      const now = (await serverStats(state.socket, state.backend))[to];
      const responses = responsesOf(now) - responsesOf(before);
      const errors = errorsOf(now) - errorsOf(before);
      const rate = responses > 0 ? errors / responses : 0;
      const p = p95(latencies);
      detail = `responses=${responses} errors=${errors} errorRate=${rate.toFixed(4)} smokeP95Ms=${p?.toFixed(1) ?? 'n/a'} smokeFailed=${smokeFailed}`;
      if (responses >= num('min-requests') && rate > num('max-error-rate')) {
        step('watch', 'fail', detail);
        return `error rate ${rate.toFixed(3)} > ${num('max-error-rate')} (${errors}/${responses})`;
      }
      if (latencies.length >= 10 && p !== null && p > num('max-p95-ms')) {
        step('watch', 'fail', detail);
        return `p95 ${p.toFixed(0)}ms > ${num('max-p95-ms')}ms`;
      }
    }
  } finally {
    clearInterval(smoke);
    agent.destroy();
  }
  step('watch', 'ok', detail);
  return undefined;
}

async function failed(state, to, from, switched, why) {
  if (!args['no-rollback']) return rollBack(state, to, from, switched, why);
  step('rollback', 'skip', `rollback disabled; traffic on ${switched ? to : from}`);
  if (!switched) {
    // Nothing to roll back; a crashed or unhealthy idle slot is only cleaned up.
    await stopSlot(state.slots[to]);
    state.slots[to] = slots.cleared(state.slots[to]);
  } else {
    state.live = to;
  }
  writeState(state);
  return result('failed', `${args.version}: ${why}; not rolled back`, 2);
}

process.on('SIGTERM', () => result('failed', 'deploy interrupted by SIGTERM', 3));
main().catch((err) => {
  step('pipeline', 'fail', String(err?.message ?? err).replaceAll('\n', ' '));
  result('failed', 'pipeline error', 3);
});
