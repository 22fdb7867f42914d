import { isAscii } from 'node:buffer';

/** True when `encoding` names UTF-8, however it is spelt ("UTF-8", "utf8", "Utf_8"). */
export function isUtf8(encoding: string): boolean {
  return encoding.toLowerCase().replace(/[^a-z0-9]/g, '') === 'utf8';
}

/**
 * Turns byte chunks into text chunks. UTF-8 takes a fast path for pure-ASCII chunks (latin1 slicing is
 * several times faster than UTF-8 decoding on Node 20) and never splits a character across chunks.
 * Other encodings go through TextDecoder. A leading UTF-8 BOM is dropped.
 */
export function createDecoder(encoding: string): (chunk: Buffer | null) => string {
  let first = true;
  if (!isUtf8(encoding)) {
    const decoder = new TextDecoder(encoding);
    return (chunk) => {
      let text = chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      return text;
    };
  }
  let carry: Buffer | null = null;
  return (chunk) => {
    if (chunk === null) {
      const rest = carry ? carry.toString('utf8') : '';
      carry = null;
      return rest;
    }
    let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    if (first && buf.length > 0) {
      if (buf.length < 3 && buf[0] === 0xef) {
        carry = buf;
        return '';
      }
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    if (isAscii(buf)) return buf.toString('latin1');
    // Keep an incomplete trailing UTF-8 sequence for the next chunk.
    let end = buf.length;
    let back = 0;
    while (back < 4 && end - back - 1 >= 0 && (buf[end - back - 1]! & 0xc0) === 0x80) back++;
    const lead = end - back - 1;
    if (lead >= 0) {
      const b = buf[lead]!;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (need > back + 1) end = lead;
    }
    if (end < buf.length) carry = Buffer.from(buf.subarray(end));
    return buf.toString('utf8', 0, end);
  };
}
