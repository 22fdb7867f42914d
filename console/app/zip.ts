// Just enough zip for the import page: a CSV wrapped as a stored (uncompressed) zip for the upload API,
// and the first lines of the first CSV of a dropped zip (inflated by the browser's DecompressionStream).

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One file in a zip, stored without compression (the upload limit, 25 MB, bounds its size). */
export function storedZip(name: string, data: Uint8Array): Blob {
  const fileName = new TextEncoder().encode(name);
  const crc = crc32(data);
  const local = new DataView(new ArrayBuffer(30));
  local.setUint32(0, 0x04034b50, true);
  local.setUint16(4, 20, true);
  local.setUint16(6, 0x0800, true); // UTF-8 names
  local.setUint16(8, 0, true);
  local.setUint32(14, crc, true);
  local.setUint32(18, data.length, true);
  local.setUint32(22, data.length, true);
  local.setUint16(26, fileName.length, true);
  const central = new DataView(new ArrayBuffer(46));
  central.setUint32(0, 0x02014b50, true);
  central.setUint16(4, 20, true);
  central.setUint16(6, 20, true);
  central.setUint16(8, 0x0800, true);
  central.setUint32(16, crc, true);
  central.setUint32(20, data.length, true);
  central.setUint32(24, data.length, true);
  central.setUint16(28, fileName.length, true);
  central.setUint32(42, 0, true);
  const centralAt = 30 + fileName.length + data.length;
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, 1, true);
  end.setUint16(10, 1, true);
  end.setUint32(12, 46 + fileName.length, true);
  end.setUint32(16, centralAt, true);
  return new Blob([local, fileName, data as BlobPart, central, fileName, end], { type: 'application/zip' });
}

/** The first `max` bytes of the first file of a zip (stored or deflated), and its name. */
export async function firstEntryHead(zip: Blob, max = 65536): Promise<{ name: string; head: Uint8Array }> {
  const header = new DataView(await zip.slice(0, 30).arrayBuffer());
  if (header.byteLength < 30 || header.getUint32(0, true) !== 0x04034b50) throw new Error('this is not a zip file');
  const method = header.getUint16(8, true);
  const nameLength = header.getUint16(26, true);
  const extraLength = header.getUint16(28, true);
  const name = new TextDecoder().decode(await zip.slice(30, 30 + nameLength).arrayBuffer());
  const start = 30 + nameLength + extraLength;
  const body = zip.slice(start, start + Math.max(max * 4, 1 << 20));
  if (method === 0) return { name, head: new Uint8Array(await body.slice(0, max).arrayBuffer()) };
  if (method !== 8)
    throw new Error(`the zip's first file uses compression method ${method}, which a browser cannot read`);
  const reader = body.stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } catch {
    // A slice ends mid-stream: what was inflated before it is enough for a header.
  }
  void reader.cancel().catch(() => undefined);
  const head = new Uint8Array(Math.min(size, max));
  let at = 0;
  for (const p of parts) {
    const n = Math.min(p.length, head.length - at);
    head.set(p.subarray(0, n), at);
    at += n;
    if (at === head.length) break;
  }
  return { name, head };
}

/** The header row of a CSV: the first record, with quotes, and the delimiter among , ; tab |. */
export function csvHeader(text: string): string[] {
  const firstLine = text.replace(/^\uFEFF/, '');
  const counts = [',', ';', '\t', '|'].map((d) => [d, firstLine.split(/\r?\n/, 1)[0]!.split(d).length] as const);
  const delimiter = counts.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < firstLine.length; i++) {
    const ch = firstLine[i]!;
    if (quoted) {
      if (ch === '"' && firstLine[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      out.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') break;
    else cell += ch;
  }
  out.push(cell);
  return out.map((c) => c.trim());
}
