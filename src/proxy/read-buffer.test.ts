import { once } from 'node:events';
import { createServer, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReadBuffer, readAcceptedInto } from './read-buffer.js';
import { connectTo } from './test-support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('readAcceptedInto', () => {
  it('reads an accepted socket into one reusable buffer until a read is kept', async () => {
    const reads: { text: string; shared: boolean; memory: ArrayBufferLike }[] = [];
    const buffer = new ReadBuffer();
    const adopted: Socket[] = [];
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      const s = readAcceptedInto(
        accepted,
        buffer,
        (data, shared) => {
          reads.push({ text: data.toString(), shared, memory: data.buffer });
          if (reads.length === 2) buffer.keep();
        },
        true,
      );
      s.on('error', () => {});
      adopted.push(s);
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const addr = server.address();
    const client = await connectTo(addr && typeof addr === 'object' ? addr.port : 0);
    // Each write waited for, so that each is one read on the other side.
    for (const text of ['one', 'two', 'three']) {
      client.write(text);
      await sleep(30);
    }
    expect(reads.map((r) => [r.text, r.shared])).toEqual([
      ['one', true],
      ['two', true],
      ['three', true],
    ]);
    expect(reads[1]?.memory).toBe(reads[0]?.memory);
    expect(reads[2]?.memory).not.toBe(reads[1]?.memory);
    // The server no longer counts the moved socket: it closes while that socket is still open.
    const serverClosed = new Promise<string>((resolve) => server.close(() => resolve('closed')));
    expect(await Promise.race([serverClosed, sleep(2000).then(() => 'still open')])).toBe('closed');
    // The moved socket writes and closes as the accepted one would have.
    const s = adopted[0] as Socket;
    const reply = once(client, 'data');
    s.end('bye');
    expect(String((await reply)[0])).toBe('bye');
    const closed = once(s, 'close');
    client.destroy();
    await closed;
    expect(s.destroyed).toBe(true);
  });

  it('hands over Buffers of their own when the socket has no handle to move', async () => {
    const unconnected = new Socket();
    const reads: [string, boolean][] = [];
    const out = readAcceptedInto(
      unconnected,
      new ReadBuffer(),
      (d, shared) => reads.push([d.toString(), shared]),
      true,
    );
    expect(out).toBe(unconnected);
    unconnected.push(Buffer.from('data'));
    await sleep(0);
    expect(reads).toEqual([['data', false]]);
    unconnected.destroy();
  });
});
