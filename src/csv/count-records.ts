/**
 * Counting CSV records for an upload's summary without parsing them: line ends outside quotes, for
 * lines that hold anything. Doubled quotes inside a quoted field toggle twice, so they need no
 * special case. Both counters also keep the first line (the header), as text.
 */
export interface RecordCounter {
  records: number;
  firstLine: string | null;
  push(chunk: Buffer): void;
  /** Call once after the last chunk. */
  end(): void;
}

/** Any encoding: counts decoded text, character by character. */
export class TextRecordCounter implements RecordCounter {
  records = 0;
  firstLine: string | null = null;
  private quoted = false;
  private lineHasContent = false;
  private prevCR = false;
  private firstLineParts: string[] = [];

  constructor(private readonly decode: (chunk: Buffer | null) => string) {}

  push(chunk: Buffer): void {
    this.pushText(this.decode(chunk));
  }

  end(): void {
    this.pushText(this.decode(null));
    if (this.lineHasContent) {
      this.records++;
      if (this.firstLine === null) this.firstLine = this.firstLineParts.join('');
    }
  }

  private pushText(text: string): void {
    let lineStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        this.quoted = !this.quoted;
        this.lineHasContent = true;
        this.prevCR = false;
      } else if ((c === 10 || c === 13) && !this.quoted) {
        const isCRLFTail = c === 10 && this.prevCR;
        this.prevCR = c === 13;
        if (isCRLFTail) {
          lineStart = i + 1;
          continue;
        }
        if (this.lineHasContent) {
          this.records++;
          if (this.firstLine === null) {
            this.firstLineParts.push(text.slice(lineStart, i));
            this.firstLine = this.firstLineParts.join('');
          }
        }
        this.lineHasContent = false;
        lineStart = i + 1;
      } else {
        this.prevCR = false;
        this.lineHasContent = true;
      }
    }
    if (this.firstLine === null && text.length > lineStart) this.firstLineParts.push(text.slice(lineStart));
  }
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * UTF-8: the same count on the raw bytes, jumping between quotes and line breaks with indexOf (native
 * memchr), so a million-row upload costs a few million native calls instead of a JS loop over every
 * character plus a UTF-8 decode. Quote, CR and LF never occur inside a multi-byte UTF-8 sequence.
 */
export class ByteRecordCounter implements RecordCounter {
  records = 0;
  firstLine: string | null = null;
  private quoted = false;
  private lineHasContent = false;
  private prevCR = false;
  private head: Buffer | null = Buffer.alloc(0);
  private firstLineParts: Buffer[] = [];

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.head !== null) {
      // Hold the first bytes until it is clear whether they are a BOM (which is not content).
      buf = this.head = Buffer.concat([this.head, chunk]);
      if (buf.length < BOM.length && BOM.subarray(0, buf.length).equals(buf)) return;
      this.head = null;
      if (buf.subarray(0, BOM.length).equals(BOM)) buf = buf.subarray(BOM.length);
    }
    const n = buf.length;
    let pos = 0;
    let lineStart = 0;
    // Next positions of each special byte at or after `pos` (n when there is none left).
    let nextQuote = -1;
    let nextLF = -1;
    let nextCR = -1;
    while (pos < n) {
      if (this.quoted) {
        if (nextQuote < pos) nextQuote = indexOrEnd(buf, QUOTE, pos);
        this.lineHasContent = true;
        this.prevCR = false;
        if (nextQuote === n) break;
        this.quoted = false;
        pos = nextQuote + 1;
        continue;
      }
      if (nextQuote < pos) nextQuote = indexOrEnd(buf, QUOTE, pos);
      if (nextLF < pos) nextLF = indexOrEnd(buf, LF, pos);
      if (nextCR < pos) nextCR = indexOrEnd(buf, CR, pos);
      const at = Math.min(nextQuote, nextLF, nextCR);
      if (at > pos) {
        this.lineHasContent = true;
        this.prevCR = false;
      }
      if (at === n) break;
      const c = buf[at]!;
      pos = at + 1;
      if (c === QUOTE) {
        this.quoted = true;
        this.lineHasContent = true;
        this.prevCR = false;
        continue;
      }
      const isCRLFTail = c === LF && this.prevCR;
      this.prevCR = c === CR;
      if (isCRLFTail) {
        lineStart = pos;
        continue;
      }
      if (this.lineHasContent) {
        this.records++;
        if (this.firstLine === null) {
          this.firstLineParts.push(buf.subarray(lineStart, at));
          this.firstLine = Buffer.concat(this.firstLineParts).toString('utf8');
          this.firstLineParts = [];
        }
      }
      this.lineHasContent = false;
      lineStart = pos;
    }
    // Copied: the zip reader may reuse its buffers.
    if (this.firstLine === null && n > lineStart) this.firstLineParts.push(Buffer.from(buf.subarray(lineStart)));
  }

  end(): void {
    if (this.head !== null && this.head.length > 0) {
      const head = this.head;
      this.head = null;
      this.push(head);
    }
    if (this.lineHasContent) {
      this.records++;
      if (this.firstLine === null) this.firstLine = Buffer.concat(this.firstLineParts).toString('utf8');
    }
  }
}

function indexOrEnd(buf: Buffer, byte: number, from: number): number {
  const i = buf.indexOf(byte, from);
  return i === -1 ? buf.length : i;
}
