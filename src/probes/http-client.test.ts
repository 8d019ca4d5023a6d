import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus, keepAliveAgent } from './http-client.js';

/** What the server saw of each request: method, path, body, content type and its socket. */
const seen: { method: string; path: string; body: string; type: string | undefined; socket: number }[] = [];
let server: Server;
let port: number;
const sockets = new WeakMap<object, number>();
let nextSocket = 0;

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      b += c;
    });
    req.on('end', () => resolve(b));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (!sockets.has(req.socket)) sockets.set(req.socket, nextSocket++);
    const body = await bodyOf(req);
    const path = req.url ?? '';
    seen.push({
      method: req.method ?? '',
      path,
      body,
      type: req.headers['content-type'],
      socket: sockets.get(req.socket) ?? -1,
    });
    const redirect = /^\/redirect\/(\d+)\/(.*)$/.exec(path);
    if (redirect) {
      res.writeHead(Number(redirect[1]), { location: `/${redirect[2]}` }).end('moved');
      return;
    }
    if (path === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
      return;
    }
    if (path === '/hang') return;
    if (path === '/big') {
      res.writeHead(200).end('x'.repeat(1_000_000));
      return;
    }
    res.writeHead(path === '/missing' ? 404 : 200).end('ok');
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const req = (method: string, path: string, body?: string, signal = AbortSignal.timeout(5000)) => ({
  host: '127.0.0.1',
  port,
  method,
  path,
  body,
  signal,
});

describe('httpStatus', () => {
  it('gives the status once the whole body is read, and reuses the connection', async () => {
    const agent = keepAliveAgent();
    try {
      seen.length = 0;
      expect(await httpStatus(agent, req('GET', '/big'))).toBe(200);
      expect(await httpStatus(agent, req('GET', '/missing'))).toBe(404);
      expect(seen.map((s) => s.path)).toEqual(['/big', '/missing']);
      expect(seen[0]?.socket).toBe(seen[1]?.socket);
    } finally {
      agent.destroy();
    }
  });

  it('sends a string body as fetch does (text/plain, its length)', async () => {
    const agent = keepAliveAgent();
    try {
      seen.length = 0;
      expect(await httpStatus(agent, req('POST', '/items', 'héllo'))).toBe(200);
      expect(seen).toMatchObject([
        { method: 'POST', path: '/items', body: 'héllo', type: 'text/plain;charset=UTF-8' },
      ]);
    } finally {
      agent.destroy();
    }
  });

  it('sends the given headers, whose content type wins, and encodes the path as fetch does', async () => {
    const agent = keepAliveAgent();
    try {
      seen.length = 0;
      const r = { ...req('PUT', '/kv/a b?x=1', '{}'), headers: { 'Content-Type': 'application/json' } };
      expect(await httpStatus(agent, r)).toBe(200);
      expect(seen).toMatchObject([
        { method: 'PUT', path: '/kv/a%20b?x=1', body: '{}', type: 'application/json' },
      ]);
    } finally {
      agent.destroy();
    }
  });

  it.each([
    [301, 'POST', 'GET', ''],
    [302, 'PUT', 'PUT', 'b'],
    [303, 'PUT', 'GET', ''],
    [307, 'POST', 'POST', 'b'],
    [308, 'DELETE', 'DELETE', 'b'],
  ])('follows a %i redirect of a %s as fetch does: %s', async (status, method, then, body) => {
    const agent = keepAliveAgent();
    try {
      seen.length = 0;
      expect(await httpStatus(agent, req(method, `/redirect/${status}/missing`, 'b'))).toBe(404);
      expect(seen.map((s) => [s.method, s.path, s.body])).toEqual([
        [method, `/redirect/${status}/missing`, 'b'],
        [then, '/missing', body],
      ]);
    } finally {
      agent.destroy();
    }
  });

  it('gives up after 20 redirects', async () => {
    const agent = keepAliveAgent();
    try {
      await expect(httpStatus(agent, req('GET', '/loop'))).rejects.toThrow('more than 20 redirects');
    } finally {
      agent.destroy();
    }
  });

  it('rejects when its signal aborts a request that gets no answer', async () => {
    const agent = keepAliveAgent();
    try {
      const ac = new AbortController();
      const p = httpStatus(agent, req('GET', '/hang', undefined, ac.signal));
      setTimeout(() => ac.abort(new Error('timed out after 50ms')), 50);
      await expect(p).rejects.toThrow(/abort/i);
    } finally {
      agent.destroy();
    }
  });

  it('rejects with the system error when nothing listens', async () => {
    const agent = keepAliveAgent();
    try {
      await expect(httpStatus(agent, { ...req('GET', '/'), port: 1 })).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      agent.destroy();
    }
  });
});
