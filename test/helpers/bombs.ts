import { constants, crc32, createInflateRaw, deflateRawSync } from 'node:zlib';

const BLOCK = 1 << 20;

/**
 * A zip of one CSV: `head` then `bodyBytes` bytes (a multiple of 1 MiB) of `fill` repeated, the shape
 * of a zip bomb (1 GiB of one byte is about 1 MB zipped). Built without deflating the gibibyte: one
 * mebibyte of `fill` (whose length divides a MiB) is deflated once, ending on a byte boundary, and that run of blocks is repeated (its
 * back-references reach no further than its own start, so it means the same wherever it stands).
 */
export function makeBombZip(name: string, head: string, fill: string, bodyBytes: number): Buffer {
  if (bodyBytes % BLOCK !== 0 || BLOCK % Buffer.byteLength(fill) !== 0)
    throw new Error('whole MiB of whole fills only');
  const repeats = bodyBytes / BLOCK;
  const block = Buffer.alloc(BLOCK, fill);
  const sync = { finishFlush: constants.Z_FULL_FLUSH, level: 9 };
  const headPart = head.length > 0 ? deflateRawSync(Buffer.from(head), sync) : Buffer.alloc(0);
  const blockPart = deflateRawSync(block, sync);
  const last = deflateRawSync(Buffer.alloc(0));
  const data = Buffer.concat([headPart, ...Array<Buffer>(repeats).fill(blockPart), last]);
  let crc = crc32(Buffer.from(head));
  for (let i = 0; i < repeats; i++) crc = crc32(block, crc);
  const size = Buffer.byteLength(head) + bodyBytes;
  const fileName = Buffer.from(name);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0x0800, 6); // UTF-8 names
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(fileName.length, 26);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(size, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 42); // local header offset

  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

/**
 * The CPU time (ms, this process's user and system) that inflating the one entry of a zip made by
 * makeBombZip whole costs, the inflated bytes thrown away as they come: what a server that did not stop
 * at its limits would spend on it, measured on this machine and, being CPU time, not stretched by load.
 */
export async function inflateCpuMs(zip: Buffer): Promise<number> {
  const compressed = zip.readUInt32LE(18);
  const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  const data = zip.subarray(start, start + compressed);
  const before = process.cpuUsage();
  let inflated = 0;
  const inflate = createInflateRaw();
  inflate.on('data', (chunk: Buffer) => (inflated += chunk.length));
  await new Promise<void>((resolve, reject) => {
    inflate.once('end', resolve).once('error', reject);
    inflate.end(data);
  });
  const used = process.cpuUsage(before);
  if (inflated !== zip.readUInt32LE(22)) throw new Error(`inflated ${inflated} bytes, not the declared size`);
  return (used.user + used.system) / 1000;
}
