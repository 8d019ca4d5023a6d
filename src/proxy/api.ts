// The HTTP side: Toxiproxy's routes, status codes and JSON shapes over a set of named proxies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AddressError } from './address.js';
import { FaultProxyInstance } from './proxy.js';
import {
  ApiError,
  badRequest,
  missingField,
  parseNewToxic,
  parseToxicUpdate,
  proxyExists,
  proxyNotFound,
  toxicJson,
} from './toxic-spec.js';

export const FAULT_PROXY_VERSION = '2.12.0-fault-proxy';
const MAX_BODY_BYTES = 1024 * 1024;

interface Reply {
  status: number;
  body?: unknown;
}

interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readProxyInput(body: unknown): ProxyInput {
  if (!isRecord(body)) throw badRequest('expected a JSON object');
  const { name, listen, upstream, enabled } = body;
  if (typeof name !== 'string' || name === '') throw missingField('name');
  if (typeof upstream !== 'string' || upstream === '') throw missingField('upstream');
  if (listen !== undefined && typeof listen !== 'string') throw badRequest('listen must be a string');
  if (enabled !== undefined && typeof enabled !== 'boolean') throw badRequest('enabled must be a boolean');
  // Toxiproxy would listen on every interface for an empty address; loopback is the safe reading.
  return { name, upstream, listen: listen || '127.0.0.1:0', enabled: enabled ?? true };
}

export class ProxyCollection {
  readonly proxies = new Map<string, FaultProxyInstance>();
  // Requests that start or stop listeners run one at a time so two of them cannot interleave.
  #queue: Promise<unknown> = Promise.resolve();

  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  get(name: string): FaultProxyInstance {
    const p = this.proxies.get(name);
    if (!p) throw proxyNotFound();
    return p;
  }

  async create(input: ProxyInput): Promise<FaultProxyInstance> {
    if (this.proxies.has(input.name)) throw proxyExists();
    const proxy = newInstance(input);
    if (input.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return proxy;
  }

  async remove(name: string): Promise<void> {
    const p = this.get(name);
    this.proxies.delete(name);
    await p.stop();
  }

  /** Keeps proxies whose listen and upstream match, replaces the others, creates the missing. */
  async populate(inputs: ProxyInput[]): Promise<FaultProxyInstance[]> {
    const out: FaultProxyInstance[] = [];
    for (const input of inputs) {
      const existing = this.proxies.get(input.name);
      if (existing && existing.listen === input.listen && existing.upstream === input.upstream) {
        out.push(existing);
        continue;
      }
      if (existing) await this.remove(input.name);
      out.push(await this.create(input));
    }
    return out;
  }

  async reset(): Promise<void> {
    for (const p of this.proxies.values()) {
      await p.start();
      p.resetToxics();
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(all.map((p) => p.stop()));
  }
}

function newInstance(input: ProxyInput): FaultProxyInstance {
  try {
    return new FaultProxyInstance(input.name, input.listen, input.upstream);
  } catch (err) {
    if (err instanceof AddressError) throw new ApiError(err.message, 400);
    throw err;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badRequest(`body larger than ${MAX_BODY_BYTES} bytes`);
    parts.push(part as Buffer);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw badRequest('EOF');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

async function route(c: ProxyCollection, method: string, path: string, req: IncomingMessage): Promise<Reply> {
  const seg = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const update = method === 'POST' || method === 'PATCH';
  const [root, proxyName, sub, toxicName, extra] = seg;
  if (extra !== undefined) return notFound();

  if (root === 'version' && seg.length === 1 && method === 'GET') {
    return { status: 200, body: { version: FAULT_PROXY_VERSION } };
  }
  if (root === 'reset' && seg.length === 1 && method === 'POST') {
    await c.serialize(() => c.reset());
    return { status: 204 };
  }
  if (root === 'populate' && seg.length === 1 && method === 'POST') {
    const body = await readJson(req);
    if (!Array.isArray(body)) throw badRequest('expected a JSON array of proxies');
    const inputs = body.map(readProxyInput);
    const proxies = await c.serialize(() => c.populate(inputs));
    return { status: 201, body: { proxies: proxies.map((p) => p.toJSON()) } };
  }
  if (root !== 'proxies') return notFound();

  if (proxyName === undefined) {
    if (method === 'GET')
      return { status: 200, body: Object.fromEntries([...c.proxies].map(([n, p]) => [n, p])) };
    if (method === 'POST') {
      const input = readProxyInput(await readJson(req));
      const proxy = await c.serialize(() => c.create(input));
      return { status: 201, body: proxy.toJSON() };
    }
    return notAllowed();
  }

  if (sub === undefined) {
    if (method === 'GET') return { status: 200, body: c.get(proxyName).toJSON() };
    if (method === 'DELETE') {
      await c.serialize(() => c.remove(proxyName));
      return { status: 204 };
    }
    if (update) {
      const body = await readJson(req);
      if (!isRecord(body)) throw badRequest('expected a JSON object');
      const proxy = await c.serialize(async () => {
        const p = c.get(proxyName);
        const input = {
          enabled: typeof body.enabled === 'boolean' ? body.enabled : p.enabled,
          listen: typeof body.listen === 'string' && body.listen !== '' ? body.listen : p.listen,
          upstream: typeof body.upstream === 'string' && body.upstream !== '' ? body.upstream : p.upstream,
        };
        try {
          await p.update(input);
        } catch (err) {
          if (err instanceof AddressError) throw new ApiError(err.message, 400);
          throw err;
        }
        return p;
      });
      return { status: 200, body: proxy.toJSON() };
    }
    return notAllowed();
  }

  if (sub !== 'toxics') return notFound();
  const proxy = c.get(proxyName);
  if (toxicName === undefined) {
    if (method === 'GET') return { status: 200, body: proxy.toxics().map(toxicJson) };
    if (method === 'POST') {
      const spec = parseNewToxic(await readJson(req));
      proxy.addToxic(spec);
      return { status: 200, body: toxicJson(spec) };
    }
    return notAllowed();
  }
  if (method === 'GET') return { status: 200, body: toxicJson(proxy.getToxic(toxicName)) };
  if (method === 'DELETE') {
    proxy.removeToxic(toxicName);
    return { status: 204 };
  }
  if (update) {
    const spec = parseToxicUpdate(proxy.getToxic(toxicName), await readJson(req));
    proxy.updateToxic(spec);
    return { status: 200, body: toxicJson(spec) };
  }
  return notAllowed();
}

const notFound = (): Reply => ({ status: 404, body: { error: '404 page not found', status: 404 } });
const notAllowed = (): Reply => ({ status: 405, body: { error: 'method not allowed', status: 405 } });

function send(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status).end();
    return;
  }
  const text = `${JSON.stringify(reply.body)}\n`;
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function createApiHandler(c: ProxyCollection): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Toxiproxy refuses browsers so that a web page cannot drive the API through the user's browser.
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('User agent not allowed\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    route(c, req.method ?? 'GET', path, req).then(
      (reply) => send(res, reply),
      (err: unknown) => {
        const e = err instanceof ApiError ? err : new ApiError(String((err as Error)?.message ?? err), 500);
        send(res, { status: e.status, body: { error: e.message, status: e.status } });
      },
    );
  };
}
