// Reading a socket into one reusable buffer (Node's `onread` option) instead of a new Buffer per
// read: no allocation and no garbage per chunk, and a buffer that stays in the CPU cache. Measured
// with bench/proxy-overhead.ts, this is what brings streaming through the proxy level with HAProxy;
// `socket.pipe()` reached about two thirds of it. Node offers `onread` only to sockets it creates
// itself, so an accepted socket's handle moves to a new Socket that reads this way.
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';

/** HAProxy's default buffer size (tune.bufsize); larger buffers measured no faster on loopback. */
export const READ_BUFFER_BYTES = 16 * 1024;

/**
 * Receives what a socket read. `shared` data lies in the reusable buffer: it is valid until the
 * handler returns, unless the handler calls `keep()` on the buffer (a write still holds it).
 */
export type ChunkHandler = (data: Buffer, shared: boolean) => void;

export class ReadBuffer {
  #buf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  #kept = false;

  /** The bytes just read are still referenced: read the next ones into a new buffer. */
  keep(): void {
    this.#kept = true;
  }

  /** `onread` options that hand each read to `handler`. */
  onread(handler: ChunkHandler): OnReadOpts {
    return {
      // Node asks for the buffer to read into before every read.
      buffer: () => {
        if (this.#kept) {
          this.#kept = false;
          this.#buf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
        }
        return this.#buf;
      },
      callback: (n, buf) => {
        handler((buf as Buffer).subarray(0, n), true);
        return true;
      },
    };
  }
}

interface WithHandle {
  _handle?: { readStart?: unknown } | null;
}

/**
 * Moves an accepted socket (the server created with `pauseOnConnect`, so nothing was read yet)
 * onto a new Socket that reads into `buffer`. Where this Node has no handle to move, the socket
 * itself is returned, delivering each read as a Buffer of its own ('data' events).
 */
export function readAcceptedInto(
  accepted: Socket,
  buffer: ReadBuffer,
  handler: ChunkHandler,
  allowHalfOpen: boolean,
): Socket {
  const holder = accepted as unknown as WithHandle;
  const handle = holder._handle;
  if (!handle || typeof handle.readStart !== 'function') {
    accepted.on('data', (d: Buffer) => handler(d, false));
    accepted.resume();
    return accepted;
  }
  // Detach first: destroying the old wrapper then closes nothing, and the server stops counting it.
  holder._handle = null;
  accepted.destroy();
  const opts = { handle, allowHalfOpen, readable: true, writable: true, onread: buffer.onread(handler) };
  return new Socket(opts as SocketConstructorOpts);
}
