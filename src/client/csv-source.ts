import { parseFirstRecord } from '../csv-format/parse-first-record.js';
import { RecordScanner } from '../csv-format/record-ends.js';
import yazl from 'yazl';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { detectDelimiter } from '../csv-format/detect-delimiter.js';
import { InputError } from './errors.js';

export { DELIMITERS, detectDelimiter } from '../csv-format/detect-delimiter.js';

export interface CsvHeader {
  columns: string[];
  delimiter: string;
}

const MAX_HEADER_BYTES = 1 << 20;

function headerFrom(bytes: Buffer, encoding: string, complete: boolean): CsvHeader | null {
  const text = new TextDecoder(encoding).decode(bytes).replace(/^\uFEFF/, '');
  const scanner = new RecordScanner();
  scanner.push(text);
  if (scanner.firstRecord === null) {
    if (!complete) return null;
    scanner.end();
  }
  const line = scanner.firstRecord ?? '';
  if (line.trim() === '') return { columns: [], delimiter: ',' };
  const delimiter = detectDelimiter(line);
  const cells = parseFirstRecord(line, scanner.lineEnd, scanner.firstRecordClosed, delimiter);
  return { columns: cells.map((c) => c.trim()), delimiter };
}

/** Reads chunks until the header record is whole; returns it and the chunks read so far. */
async function takeHeader(
  next: () => Promise<Buffer | null>,
  encoding: string,
): Promise<{ header: CsvHeader; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = await next();
    if (chunk) {
      chunks.push(chunk);
      size += chunk.length;
    }
    const header = headerFrom(Buffer.concat(chunks), encoding, chunk === null || size >= MAX_HEADER_BYTES);
    if (header) return { header, chunks };
  }
}

/** Checks the file exists and is a file, with an InputError a user can act on. */
export async function checkFilePath(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new InputError('FILE_NOT_FOUND', `file not found: ${path}`, { path });
    throw new InputError('FILE_NOT_READABLE', `cannot read ${path}: ${(e as Error).message}`, { path, cause: code });
  }
  if (!info.isFile()) throw new InputError('FILE_NOT_READABLE', `not a file: ${path}`, { path });
  return info.size;
}

/** The header of a CSV file (its columns and delimiter), reading only as far as the first line. */
export async function readCsvHeader(path: string, encoding = 'utf-8'): Promise<CsvHeader> {
  await checkFilePath(path);
  const stream = createReadStream(path);
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    const { header } = await takeHeader(async () => {
      const r = await it.next();
      return r.done ? null : r.value;
    }, encoding);
    return header;
  } catch (e) {
    throw new InputError('FILE_NOT_READABLE', `cannot read ${path}: ${(e as Error).message}`, { path });
  } finally {
    stream.destroy();
  }
}

/** The header of a CSV stream, and a stream that replays every byte (header included). */
export async function peekCsvHeader(
  source: Readable,
  encoding = 'utf-8',
): Promise<{ header: CsvHeader; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const next = async () => {
    const r = await it.next();
    if (r.done) return null;
    return typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
  };
  const { header, chunks } = await takeHeader(next, encoding);
  async function* replay() {
    yield* chunks;
    for (let c = await next(); c !== null; c = await next()) yield c;
  }
  return { header, stream: Readable.from(replay(), { objectMode: false }) };
}

/**
 * Passes CSV bytes through and counts them and the records in them, as the server counts an upload's
 * (csv-format/record-ends.ts). Works on bytes, so it is exact for UTF-8 and the other ASCII-compatible
 * encodings.
 */
export class CsvCounter extends Transform {
  bytes = 0;
  private readonly scanner = new RecordScanner();

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.scanner.pushBytes(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.scanner.end();
    done();
  }

  /** Data rows: the records after the header. */
  get dataRows(): number {
    return Math.max(0, this.scanner.records - 1);
  }
}

/** Zips a CSV stream on the fly into a zip with one entry; errors of the source end the zip stream. */
export function zipCsvStream(csv: Readable, entryName: string): Readable {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  csv.once('error', (e) => out.destroy(e));
  (zip as unknown as NodeJS.EventEmitter).once('error', (e: Error) => out.destroy(e));
  zip.addReadStream(csv, entryName, { mtime: new Date() });
  zip.end();
  return out;
}
