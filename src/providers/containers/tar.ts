// The little of the tar format the engine's archive API needs: it takes and gives files as tar
// streams. Writes one-file ustar archives; reads ustar, with the pax and GNU long-name records the
// engine and GNU tar add for long names.

export interface TarEntry {
  name: string;
  /** '0' regular file, '5' directory, ... */
  type: string;
  mode: number;
  uid: number;
  gid: number;
  data: Buffer;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** A tar archive of one regular file (name relative, no directories). */
export function tarOneFile(
  name: string,
  data: Uint8Array,
  meta: { mode: number; uid: number; gid: number },
): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name too long for ustar: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(meta.mode & 0o7777, 8), 100, 'latin1');
  h.write(octal(meta.uid, 8), 108, 'latin1');
  h.write(octal(meta.gid, 8), 116, 'latin1');
  h.write(octal(data.length, 12), 124, 'latin1');
  h.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write('0', 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return Buffer.concat([h, data, Buffer.alloc(pad), Buffer.alloc(2 * BLOCK)]);
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

function number(h: Buffer, start: number, len: number): number {
  // Base-256 (first byte 0x80) for values too large for octal.
  if ((h[start] ?? 0) & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (h[i] ?? 0);
    return v;
  }
  const s = field(h, start, len).trim();
  return s ? Number.parseInt(s, 8) : 0;
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number.parseInt(data.toString('latin1', i, sp), 10);
    if (!(len > 0)) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * The entries of an archive, the last one possibly cut short (`complete: false`: `buf` is only the
 * start of a stream, enough for a caller that needs a file's owner and mode).
 */
export function* tarEntries(buf: Buffer): Generator<TarEntry & { size: number; complete: boolean }> {
  let off = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) return;
    const type = String.fromCharCode(h[156] ?? 0x30).replace('\0', '0');
    const size = pax.size !== undefined ? Number(pax.size) : number(h, 124, 12);
    const start = off + BLOCK;
    const end = start + size;
    off = start + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L') {
      if (end > buf.length) return;
      if (type === 'L') longName = field(buf, start, size);
      else pax = paxRecords(buf.subarray(start, end));
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(h, 345, 155);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = undefined;
    pax = {};
    yield {
      name,
      type,
      mode: number(h, 100, 8),
      uid: number(h, 108, 8),
      gid: number(h, 116, 8),
      size,
      complete: end <= buf.length,
      data: buf.subarray(start, Math.min(end, buf.length)),
    };
  }
}

/** Every complete entry of an archive. */
export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  for (const e of tarEntries(buf)) {
    if (!e.complete) throw new Error(`tar: ${e.name} is cut short (${e.data.length} of ${e.size} bytes)`);
    out.push({ name: e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, data: e.data });
  }
  return out;
}
