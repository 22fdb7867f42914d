import { RecordScanner, type LineEnd, type RecordLengthLimits } from '../csv-format/record-ends.js';

/**
 * Counting CSV records for an upload's summary without parsing them, by the rule of csv-format/record-ends.ts.
 * Both counters also keep the first record (the header), as text.
 */
export interface RecordCounter {
  records: number;
  firstLine: string | null;
  /** The file's line end, which the header is parsed with (a lone CR in a CRLF file's header is data). */
  lineEnd: LineEnd | null;
  /** False when the first line is the file's last, with no line end after it. */
  firstLineClosed: boolean;
  push(chunk: Buffer): void;
  /** Call once after the last chunk. */
  end(): void;
}

/** Any encoding: counts decoded text. */
export class TextRecordCounter implements RecordCounter {
  private readonly scanner: RecordScanner;

  constructor(
    private readonly decode: (chunk: Buffer | null) => string,
    limits?: RecordLengthLimits,
  ) {
    this.scanner = new RecordScanner(limits);
  }

  get records(): number {
    return this.scanner.records;
  }

  get firstLine(): string | null {
    return this.scanner.firstRecord;
  }

  get lineEnd(): LineEnd | null {
    return this.scanner.lineEnd;
  }

  get firstLineClosed(): boolean {
    return this.scanner.firstRecordClosed;
  }

  push(chunk: Buffer): void {
    this.scanner.push(this.decode(chunk));
  }

  end(): void {
    this.scanner.push(this.decode(null));
    this.scanner.end();
  }
}

/**
 * UTF-8: the same count on the raw bytes (RecordScanner.pushBytes), which spares a UTF-8 decode of
 * every uploaded byte.
 */
export class ByteRecordCounter implements RecordCounter {
  private readonly scanner: RecordScanner;

  constructor(limits?: RecordLengthLimits) {
    this.scanner = new RecordScanner(limits);
  }

  get records(): number {
    return this.scanner.records;
  }

  get firstLine(): string | null {
    const first = this.scanner.firstRecord;
    return first === null ? null : Buffer.from(first, 'latin1').toString('utf8');
  }

  get lineEnd(): LineEnd | null {
    return this.scanner.lineEnd;
  }

  get firstLineClosed(): boolean {
    return this.scanner.firstRecordClosed;
  }

  push(chunk: Buffer): void {
    this.scanner.pushBytes(chunk);
  }

  end(): void {
    this.scanner.end();
  }
}
