// The HTTP requests of the http and http-write probes, on node:http with a keep-alive agent of
// the probe's own, because of its cost: with fetch (undici) the http probe took 190-260 µs of CPU
// per request here and fell 100 ms and more behind its schedule at 3,000-5,000 requests/s on one
// core; with this 60-80 µs, and it keeps up (bench/probe-capacity.ts). (And the first fetch of a
// process compiles undici synchronously, 20 ms of stalled event loop here, whenever that falls.)
// It does what the probes used fetch for: the request (a string body is sent as text/plain unless
// the headers give a type), the whole response body read, redirects followed as fetch follows them
// (at most 20; 303, and 301/302 after a POST, become a GET without a body), the status of the last
// response, and the signal aborting it. Keep-alive sockets are reused within the server's
// Keep-Alive hint as undici does (Node's agent closes them a second before it).

import { Agent, request } from 'node:http';

export interface HttpRequest {
  host: string;
  port: number;
  method: string;
  /** Path and query. */
  path: string;
  headers?: Readonly<Record<string, string>> | undefined;
  body?: string | undefined;
  signal: AbortSignal;
}

/** The system error's code (ECONNREFUSED, ECONNRESET, ...) of a failed request, if any. */
export function requestErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Headers fetch drops when a redirect turns the request into a GET without a body. */
const BODY_HEADERS = new Set(['content-encoding', 'content-language', 'content-location', 'content-type']);

const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** An agent that keeps connections open between requests (destroy it when the probe ends). */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true });
}

interface Answer {
  status: number;
  location: string | undefined;
}

function once(agent: Agent, r: HttpRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
    // What fetch sends for a string body: its length, and text/plain unless a type was given.
    if (r.body !== undefined) {
      headers['content-type'] ??= 'text/plain;charset=UTF-8';
      headers['content-length'] = Buffer.byteLength(r.body);
    }
    // Encoded as fetch encodes a URL (a space becomes %20; node:http would refuse it).
    const u = new URL(r.path, 'http://host');
    const path = `${u.pathname}${u.search}`;
    const req = request(
      { agent, host: r.host, port: r.port, method: r.method, path, headers, signal: r.signal },
      (res) => {
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
        res.resume();
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The status of the final response, its body read to the end; rejects as fetch would. */
export async function httpStatus(agent: Agent, first: HttpRequest): Promise<number> {
  let r = first;
  for (let redirects = 0; ; redirects++) {
    const a = await once(agent, r);
    if (!REDIRECTS.has(a.status) || a.location === undefined) return a.status;
    if (redirects === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    const to = new URL(a.location, `http://${r.host}:${r.port}${r.path}`);
    if (to.protocol !== 'http:')
      throw new Error(`redirected to ${to.protocol} (${a.location}): not followed`);
    const asGet = a.status === 303 || ((a.status === 301 || a.status === 302) && r.method === 'POST');
    r = {
      host: to.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(to.port || 80),
      path: `${to.pathname}${to.search}`,
      method: asGet && r.method !== 'HEAD' ? 'GET' : r.method,
      headers: asGet
        ? Object.fromEntries(
            Object.entries(r.headers ?? {}).filter(([k]) => !BODY_HEADERS.has(k.toLowerCase())),
          )
        : r.headers,
      body: asGet ? undefined : r.body,
      signal: r.signal,
    };
  }
}
