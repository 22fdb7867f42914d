import { isAscii, isUtf8 as validUtf8 } from 'node:buffer';

/** True when `encoding` names UTF-8, however it is spelt ("UTF-8", "utf8", "Utf_8"). */
export function isUtf8(encoding: string): boolean {
  return encoding.toLowerCase().replace(/[^a-z0-9]/g, '') === 'utf8';
}

/**
 * What a decoder saw: `invalid` turns true once bytes that are not valid in the encoding were read (and
 * decoded as U+FFFD). Exact for UTF-8 (checked on the bytes); for other encodings any U+FFFD the decoder
 * produced counts, since those cannot write one (UTF-16 and GB18030 can: a U+FFFD written in such a file
 * counts as invalid too).
 */
export interface DecodeWatch {
  invalid: boolean;
}

/** "UTF-16" without an order: the byte-order mark decides, and without one big-endian (Java's "UTF-16"). */
function isUtf16Unmarked(encoding: string): boolean {
  return encoding.toLowerCase().replace(/[^a-z0-9]/g, '') === 'utf16';
}

/**
 * Turns byte chunks into text chunks. UTF-8 takes a fast path for pure-ASCII chunks (latin1 slicing is
 * several times faster than UTF-8 decoding on Node 20) and never splits a character across chunks.
 * Other encodings go through TextDecoder. A leading BOM is dropped.
 */
export function createDecoder(encoding: string, watch?: DecodeWatch): (chunk: Buffer | null) => string {
  let first = true;
  if (!isUtf8(encoding)) {
    let decoder: InstanceType<typeof TextDecoder> | null = isUtf16Unmarked(encoding) ? null : new TextDecoder(encoding);
    let head: Buffer | null = null;
    return (chunk) => {
      let pending: Buffer | null = null;
      if (decoder === null) {
        // Wait for the two bytes that may be a byte-order mark.
        if (chunk !== null) {
          head = head ? Buffer.concat([head, chunk]) : chunk;
          if (head.length < 2) return '';
        }
        const h = head ?? Buffer.alloc(0);
        decoder = new TextDecoder(h[0] === 0xff && h[1] === 0xfe ? 'utf-16le' : 'utf-16be');
        head = null;
        if (chunk === null) pending = h;
        else chunk = h;
      }
      let text = pending ? decoder.decode(pending, { stream: true }) : '';
      text += chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (watch !== undefined && !watch.invalid && text.includes('\uFFFD')) watch.invalid = true;
      return text;
    };
  }
  let carry: Buffer | null = null;
  return (chunk) => {
    if (chunk === null) {
      // A sequence cut by the end of the file is not a character.
      if (carry && watch !== undefined) watch.invalid = true;
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
    if (watch !== undefined && !watch.invalid && !validUtf8(end < buf.length ? buf.subarray(0, end) : buf)) {
      watch.invalid = true;
    }
    return buf.toString('utf8', 0, end);
  };
}
