import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { ZipStreamWriter, crc32, jsCrc32 } from '../../src/jobs/zip-writer.js';

/**
 * The result zips' writer against yazl (which wrote them before): the same entries give the same bytes,
 * yauzl reads them back, the JS CRC-32 fallback agrees with zlib's, and a failing output rejects the
 * writer's waits instead of leaving them hanging.
 */

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** CSV-like text of about `bytes`, with non-ASCII, so it deflates as the result CSVs do. */
function csvText(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const line = `${seed}${i},"Name ${i % 977}",ünï ${(i * 7919) % 10007},${randomBytes(6).toString('hex')}\r\n`;
    lines.push(line);
    n += Buffer.byteLength(line);
  }
  return Buffer.from(lines.join(''));
}

/** Splits a buffer into uneven pieces, as the writers' 1 MiB chunks and short tails are. */
function pieces(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const sizes = [1 << 20, 17, 300_000, 1, 65_536];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(buf.subarray(at, at + size));
    at += size;
  }
  return out;
}

async function ours(entries: [string, Buffer][], mtime: Date): Promise<Buffer> {
  const out = new PassThrough();
  const bytes = collect(out);
  const zip = new ZipStreamWriter(out, { level: 1, mtime });
  for (const [name, content] of entries) {
    zip.begin(name);
    for (const piece of pieces(content)) if (!zip.write(piece)) await zip.drain();
    await zip.end();
  }
  zip.finish();
  return bytes;
}

async function yazls(entries: [string, Buffer][], mtime: Date): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of entries) {
    const s = new PassThrough();
    zip.addReadStream(s, name, { compressionLevel: 1, mtime });
    s.end(content);
  }
  zip.end();
  return collect(zip.outputStream);
}

function unzip(buf: Buffer): Promise<Map<string, { content: Buffer; crc: number }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const files = new Map<string, { content: Buffer; crc: number }>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          collect(stream).then((b) => {
            files.set(entry.fileName, { content: b, crc: entry.crc32 });
            zip.readEntry();
          }, reject);
        });
      });
      zip.on('end', () => resolve(files));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('result zip writer', () => {
  it('writes the bytes yazl writes for the same entries, and yauzl reads them back', async () => {
    const mtime = new Date('2026-03-04T05:06:07.000Z');
    const entries: [string, Buffer][] = [
      ['Leads-leads.csv', csvText(5 << 20, 1)],
      ['Contacts-empty.csv', Buffer.alloc(0)],
      ['Accounts-ünïcødé.csv', csvText(40_000, 2)],
    ];
    const mine = await ours(entries, mtime);
    assert.ok(mine.equals(await yazls(entries, mtime)), 'the same bytes as yazl');
    const files = await unzip(mine);
    assert.deepEqual(
      [...files.keys()],
      entries.map(([n]) => n),
    );
    for (const [name, content] of entries) {
      assert.ok(files.get(name)!.content.equals(content), name);
      // The CRC-32 in the zip is the content's (yauzl does not check it).
      assert.equal(files.get(name)!.crc, jsCrc32(content, 0), name);
    }
  });

  it('computes zlib’s CRC-32 in the JS fallback, chunk after chunk', () => {
    assert.equal(jsCrc32(Buffer.from('123456789'), 0), 0xcbf43926);
    const data = randomBytes(100_003);
    let a = 0;
    let b = 0;
    for (let at = 0; at < data.length; at += 9_999) {
      a = jsCrc32(data.subarray(at, at + 9_999), a);
      b = crc32(data.subarray(at, at + 9_999), b);
    }
    assert.equal(a, b);
    if (typeof (zlib as { crc32?: unknown }).crc32 === 'function') assert.equal(crc32, zlib.crc32);
  });

  it('rejects its waits when the output fails, instead of leaving them hanging', async () => {
    const out = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        setImmediate(() => cb(new Error('disk full')));
      },
    });
    out.on('error', () => undefined);
    const zip = new ZipStreamWriter(out, { level: 1, mtime: new Date() });
    zip.begin('a.csv');
    const content = csvText(3 << 20, 3);
    await assert.rejects(async () => {
      for (const piece of pieces(content)) if (!zip.write(piece)) await zip.drain();
      await zip.end();
    }, /disk full/);
    zip.destroy();
  });

  it('lets the deflater take 2 MiB before asking to wait', () => {
    const zip = new ZipStreamWriter(new PassThrough(), { level: 1, mtime: new Date() });
    zip.begin('a.csv');
    assert.equal(zip.write(Buffer.alloc(1 << 20)), true);
    assert.equal(zip.write(Buffer.alloc(1 << 20)), false);
    zip.destroy();
  });
});
