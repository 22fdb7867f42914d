import * as zlib from 'node:zlib';
import type { Writable } from 'node:stream';

/**
 * A zip written as a stream of deflated entries, one after another, into a Writable: the layout yazl
 * writes for `addReadStream` entries (local header with bit 3 set, the raw deflate stream, a data
 * descriptor, then the central directory with Info-ZIP's UT time field, ZIP64 records where a size or
 * offset needs them), so readers that took yazl's zips take these byte for byte.
 *
 * Built for the result zips (one large CSV deflated as it is written): the CRC-32 is zlib's own
 * (`zlib.crc32`, Node ≥ 20.15; a table in JS before), the deflater hands out large chunks, and the bytes
 * go to the file with no counting or checksum streams between (the sizes are counted here).
 */

type Crc32 = (data: Uint8Array, value: number) => number;

/** CRC-32 of a chunk continuing `value` (0 to start), as zlib computes it. */
export const crc32: Crc32 = typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (zlib.crc32 as Crc32) : jsCrc32;

let table: Int32Array | null = null;
/** The JS fallback of `crc32` for Node 20 before 20.15. */
export function jsCrc32(data: Uint8Array, value: number): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Deflate output handed to the file at a time (zlib's default is 16 KiB). */
const OUT_CHUNK = 1 << 20;
/** Input the deflater takes before `write()` asks the caller to wait. */
const IN_HIGH_WATER = 2 << 20;

const FILE_NAME_IS_UTF8 = 1 << 11;
const UNKNOWN_CRC32_AND_FILE_SIZES = 1 << 3;
const FLAGS = FILE_NAME_IS_UTF8 | UNKNOWN_CRC32_AND_FILE_SIZES;
const VERSION_NEEDED_UTF8 = 20;
const VERSION_NEEDED_ZIP64 = 45;
// 3 = unix, 63 = spec version 6.3.
const VERSION_MADE_BY = (3 << 8) | 63;
const DEFLATE = 8;
const FILE_MODE = 0o100664;
const ZIP64_LIMIT = 0xfffffffe;

interface Entry {
  name: Buffer;
  offset: number;
  crc: number;
  size: number;
  compressed: number;
}

export class ZipStreamWriter {
  private offset = 0;
  private readonly entries: Entry[] = [];
  private entry: Entry | null = null;
  private deflate: zlib.DeflateRaw | null = null;
  private readonly time: number;
  private readonly date: number;
  private readonly unixTime: number;
  private failure: Error | null = null;
  /** Who waits for the deflater to drain (`drain()`) or to end (`end()`); all are told of a failure. */
  private readonly waiting = new Set<{ drained?: () => void; failed: (e: Error) => void }>();

  /** `level`: deflate level; `mtime`: every entry's modification time. */
  constructor(
    private readonly out: Writable,
    private readonly opts: { level: number; mtime: Date },
  ) {
    const dos = dosDateTime(opts.mtime);
    this.time = dos.time;
    this.date = dos.date;
    this.unixTime = Math.min(Math.max(Math.floor(opts.mtime.getTime() / 1000), -0x80000000), 0x7fffffff);
    out.on('error', (e: Error) => this.fail(e));
  }

  /** Starts an entry (the one before must have ended). */
  begin(name: string): void {
    if (this.entry) throw new Error('zip: an entry is still open');
    const entry: Entry = { name: Buffer.from(name), offset: this.offset, crc: 0, size: 0, compressed: 0 };
    if (entry.name.length > 0xffff) throw new Error('zip: entry name too long');
    this.entry = entry;
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(VERSION_NEEDED_UTF8, 4);
    h.writeUInt16LE(FLAGS, 6);
    h.writeUInt16LE(DEFLATE, 8);
    h.writeUInt16LE(this.time, 10);
    h.writeUInt16LE(this.date, 12);
    // crc-32 and sizes: 0, in the data descriptor.
    h.writeUInt16LE(entry.name.length, 26);
    this.emit(Buffer.concat([h, entry.name]));
    // zlib passes stream options on to its Transform (Node's typings leave them out).
    const deflate = zlib.createDeflateRaw({
      level: this.opts.level,
      chunkSize: OUT_CHUNK,
      writableHighWaterMark: IN_HIGH_WATER,
    } as zlib.ZlibOptions);
    deflate.on('data', (chunk: Buffer) => {
      entry.compressed += chunk.length;
      if (!this.emit(chunk) && !deflate.isPaused()) {
        deflate.pause();
        this.out.once('drain', () => deflate.resume());
      }
    });
    deflate.on('drain', () => {
      for (const w of this.waiting)
        if (w.drained) {
          this.waiting.delete(w);
          w.drained();
        }
    });
    deflate.on('error', (e: Error) => this.fail(e));
    this.deflate = deflate;
  }

  /** Adds bytes to the open entry; false: wait for `drain()` before writing much more. */
  write(data: Buffer): boolean {
    const entry = this.entry;
    if (!entry || !this.deflate) throw new Error('zip: no entry is open');
    if (this.failure) throw this.failure;
    entry.crc = crc32(data, entry.crc);
    entry.size += data.length;
    return this.deflate.write(data);
  }

  /** Resolves once the deflater wants more input; rejects if the zip failed meanwhile. */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.deflate?.writableNeedDrain) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.add({ drained: resolve, failed: reject });
    });
  }

  /** Ends the open entry: its deflate stream is flushed and its data descriptor written. */
  async end(): Promise<void> {
    const entry = this.entry;
    const deflate = this.deflate;
    if (!entry || !deflate) throw new Error('zip: no entry is open');
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const waiter = { failed: reject };
      this.waiting.add(waiter);
      deflate.once('end', () => {
        this.waiting.delete(waiter);
        resolve();
      });
      deflate.end();
    });
    this.entry = null;
    this.deflate = null;
    this.entries.push(entry);
    const zip64 = useZip64(entry);
    const d = Buffer.alloc(zip64 ? 24 : 16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(entry.crc, 4);
    if (zip64) {
      writeUInt64LE(d, entry.compressed, 8);
      writeUInt64LE(d, entry.size, 16);
    } else {
      d.writeUInt32LE(entry.compressed, 8);
      d.writeUInt32LE(entry.size, 12);
    }
    this.emit(d);
  }

  /** Writes the central directory and ends the output (the caller waits for the Writable to finish). */
  finish(): void {
    if (this.entry) throw new Error('zip: an entry is still open');
    if (this.failure) throw this.failure;
    const start = this.offset;
    for (const e of this.entries) this.emit(this.centralRecord(e));
    const size = this.offset - start;
    const count = this.entries.length;
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    const zip64 = count >= 0xffff || size >= 0xffffffff || start >= 0xffffffff;
    eocd.writeUInt16LE(zip64 ? 0xffff : count, 8);
    eocd.writeUInt16LE(zip64 ? 0xffff : count, 10);
    eocd.writeUInt32LE(zip64 ? 0xffffffff : size, 12);
    eocd.writeUInt32LE(zip64 ? 0xffffffff : start, 16);
    if (zip64) {
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      writeUInt64LE(rec, 56 - 12, 4);
      rec.writeUInt16LE(VERSION_MADE_BY, 12);
      rec.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
      writeUInt64LE(rec, count, 24);
      writeUInt64LE(rec, count, 32);
      writeUInt64LE(rec, size, 40);
      writeUInt64LE(rec, start, 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      writeUInt64LE(loc, this.offset, 8);
      loc.writeUInt32LE(1, 16);
      this.emit(Buffer.concat([rec, loc]));
    }
    this.emit(eocd);
    this.out.end();
  }

  /** Stops writing: the open entry's deflater is dropped (the caller destroys the output). */
  destroy(): void {
    this.deflate?.destroy();
    this.deflate = null;
    this.fail(new Error('zip: abandoned'));
  }

  private centralRecord(e: Entry): Buffer {
    const zip64 = useZip64(e);
    const ut = Buffer.alloc(9);
    ut.writeUInt16LE(0x5455, 0);
    ut.writeUInt16LE(5, 2);
    // mtime and atime flags, as Info-ZIP sets them (the central record carries only the mtime).
    ut.writeUInt8(3, 4);
    ut.writeInt32LE(this.unixTime, 5);
    let extra = ut;
    if (zip64) {
      const x = Buffer.alloc(28);
      x.writeUInt16LE(0x0001, 0);
      x.writeUInt16LE(24, 2);
      writeUInt64LE(x, e.size, 4);
      writeUInt64LE(x, e.compressed, 12);
      writeUInt64LE(x, e.offset, 20);
      extra = Buffer.concat([ut, x]);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(VERSION_MADE_BY, 4);
    c.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_UTF8, 6);
    c.writeUInt16LE(FLAGS, 8);
    c.writeUInt16LE(DEFLATE, 10);
    c.writeUInt16LE(this.time, 12);
    c.writeUInt16LE(this.date, 14);
    c.writeUInt32LE(e.crc, 16);
    c.writeUInt32LE(zip64 ? 0xffffffff : e.compressed, 20);
    c.writeUInt32LE(zip64 ? 0xffffffff : e.size, 24);
    c.writeUInt16LE(e.name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
    c.writeUInt32LE(zip64 ? 0xffffffff : e.offset, 42);
    return Buffer.concat([c, e.name, extra]);
  }

  private emit(chunk: Buffer): boolean {
    this.offset += chunk.length;
    return this.out.write(chunk);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const w of waiting) w.failed(e);
  }
}

function useZip64(e: Entry): boolean {
  return e.size > ZIP64_LIMIT || e.compressed > ZIP64_LIMIT || e.offset > ZIP64_LIMIT;
}

function writeUInt64LE(buf: Buffer, n: number, at: number): void {
  buf.writeUInt32LE(n % 0x100000000, at);
  buf.writeUInt32LE(Math.floor(n / 0x100000000), at + 4);
}

// As yazl computes them: in the server's local time zone, clamped to what DOS dates can say.
const MIN_DOS_DATE = new Date(1980, 0, 1);
const MAX_DOS_DATE = new Date(2107, 11, 31, 23, 59, 58);
function dosDateTime(at: Date): { date: number; time: number } {
  const d = at < MIN_DOS_DATE ? MIN_DOS_DATE : at > MAX_DOS_DATE ? MAX_DOS_DATE : at;
  const date = (d.getDate() & 0x1f) | (((d.getMonth() + 1) & 0xf) << 5) | (((d.getFullYear() - 1980) & 0x7f) << 9);
  const time = Math.floor(d.getSeconds() / 2) | ((d.getMinutes() & 0x3f) << 5) | ((d.getHours() & 0x1f) << 11);
  return { date, time };
}
