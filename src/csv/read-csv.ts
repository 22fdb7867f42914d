import { PassThrough, type Readable } from 'node:stream';
import { detectDelimiter } from '../csv-format/detect-delimiter.js';
import { ByteRecordCounter, TextRecordCounter } from './count-records.js';
import { createDecoder, isUtf8, type DecodeWatch } from './decode.js';
import { detectEncoding, SAMPLE_BYTES } from './detect-encoding.js';
import { CsvRowParser } from './parse-rows.js';
import { parseFirstRecord } from '../csv-format/parse-first-record.js';
import { RecordTooLongError, type RecordLengthLimits } from '../csv-format/record-ends.js';
import type { CsvEntrySummary } from '../domain/types.js';
import { NotAZipError, openZipCsvEntries, type ZipCsvEntry } from './zip-entries.js';

/** A CSV's name in the zip, its header, delimiter and data rows, as an uploaded file keeps them. */
export type CsvSummary = CsvEntrySummary;

export class CsvFileError extends Error {
  constructor(
    readonly reason:
      | 'not-zip'
      | 'no-csv'
      | 'many-csv'
      | 'empty-csv'
      | 'unreadable'
      | 'uncompressed-size'
      | 'compression-ratio'
      | 'header-length'
      | 'record-length',
    message: string,
  ) {
    super(message);
  }
}

/**
 * What an upload may hold, checked while it is read (never after reading it whole): a zip bomb stops
 * at the first limit it reaches, with a CsvFileError that names it.
 */
export interface UploadLimits extends RecordLengthLimits {
  /** The CSV bytes of the whole zip, inflated. */
  maxUncompressedBytes: number;
  /** Inflated bytes per compressed byte of a CSV entry, once it is past RATIO_FLOOR_BYTES. */
  maxCompressionRatio: number;
}

export const NO_UPLOAD_LIMITS: UploadLimits = {
  maxUncompressedBytes: Infinity,
  maxCompressionRatio: Infinity,
  maxHeaderLength: Infinity,
  maxRecordLength: Infinity,
};

/** Small files may compress far better than any bomb-worthy ratio (a few repeated rows): the ratio counts from here. */
export const RATIO_FLOOR_BYTES = 1 << 20;

/** Counts an entry's inflated bytes against the limits; `before` bytes of the zip's other CSVs were read already. */
function inflationGuard(entry: ZipCsvEntry, limits: UploadLimits, before: number) {
  const tooLarge = () =>
    new CsvFileError(
      'uncompressed-size',
      `the CSV files of the zip hold more than ${limits.maxUncompressedBytes} bytes uncompressed`,
    );
  const maxByRatio = Math.max(RATIO_FLOOR_BYTES, entry.compressedSize * limits.maxCompressionRatio);
  const tooDense = () =>
    new CsvFileError(
      'compression-ratio',
      `the CSV file ${entry.name} inflates more than ${limits.maxCompressionRatio} times its compressed size`,
    );
  // What the zip declares is refused before anything is inflated; the reader holds the entry to it.
  if (before + entry.uncompressedSize > limits.maxUncompressedBytes) throw tooLarge();
  if (entry.uncompressedSize > maxByRatio) throw tooDense();
  let read = 0;
  return {
    get read() {
      return read;
    },
    add(bytes: number) {
      read += bytes;
      if (before + read > limits.maxUncompressedBytes) throw tooLarge();
      if (read > maxByRatio) throw tooDense();
    },
  };
}

function recordTooLong(entry: ZipCsvEntry, e: RecordTooLongError): CsvFileError {
  return e.which === 'header'
    ? new CsvFileError('header-length', `the header of ${entry.name} is longer than ${e.limit} bytes`)
    : new CsvFileError('record-length', `record ${e.record} of ${entry.name} is longer than ${e.limit} bytes`);
}

export { detectDelimiter };

async function openCsvEntries(zipPath: string) {
  try {
    return await openZipCsvEntries(zipPath);
  } catch (e) {
    if (e instanceof NotAZipError) throw new CsvFileError('not-zip', 'the file is not a zip archive');
    throw e;
  }
}

/**
 * The CSV entry to read: the one named `csvName`, or without a name the zip's only CSV. The name
 * matches an entry's file name (folders inside the zip are not part of it).
 */
async function pickCsv(zipPath: string, csvName?: string) {
  const entries = await openCsvEntries(zipPath);
  const entry = csvName === undefined ? entries.csv[0] : entries.csv.find((e) => e.name === csvName);
  if (entry === undefined || (csvName === undefined && entries.csv.length !== 1)) {
    entries.close();
    if (csvName !== undefined) throw new CsvFileError('no-csv', `the zip holds no CSV file named ${csvName}`);
    throw new CsvFileError(
      entries.csv.length === 0 ? 'no-csv' : 'many-csv',
      entries.csv.length === 0
        ? 'the zip holds no CSV file'
        : `the zip holds ${entries.csv.length} CSV files; one is allowed`,
    );
  }
  return { entry, close: entries.close };
}

/**
 * Reads a CSV once: header, delimiter, rows. With `encoding` 'auto' the first bytes decide it
 * (detectEncoding). The number of bytes it inflated to is `inflated`.
 */
async function summarizeEntry(
  entry: ZipCsvEntry,
  encoding: string,
  limits: UploadLimits,
  before = 0,
): Promise<CsvSummary & { inflated: number }> {
  const guard = inflationGuard(entry, limits, before);
  const stream = await openEntry(entry);
  const chunks = readable(stream);
  let detected: string | null = null;
  let sample: Buffer[] = [];
  if (encoding === AUTO) {
    let size = 0;
    let done = false;
    while (size < SAMPLE_BYTES) {
      const next = await chunks.next();
      if (next.done) {
        done = true;
        break;
      }
      sample.push(next.value);
      size += next.value.length;
    }
    const head = Buffer.concat(sample);
    detected = detectEncoding(head.subarray(0, SAMPLE_BYTES), done && head.length <= SAMPLE_BYTES);
    encoding = detected;
  }
  // UTF-8 is counted on the bytes (quotes and line breaks are single bytes there), without decoding.
  const counter = isUtf8(encoding)
    ? new ByteRecordCounter(limits)
    : new TextRecordCounter(createDecoder(encoding), limits);
  try {
    for (const chunk of sample) {
      guard.add(chunk.length);
      counter.push(chunk);
    }
    sample = [];
    for await (const chunk of chunks) {
      guard.add(chunk.length);
      counter.push(chunk);
    }
    counter.end();
  } catch (e) {
    if (e instanceof RecordTooLongError) throw recordTooLong(entry, e);
    throw e;
  } finally {
    stream.destroy();
  }
  if (counter.firstLine === null) throw new CsvFileError('empty-csv', `the CSV file ${entry.name} is empty`);
  const delimiter = detectDelimiter(counter.firstLine);
  const cells = parseFirstRecord(counter.firstLine, counter.lineEnd, counter.firstLineClosed, delimiter);
  const header = cells.map((h) => h.trim());
  const summary: CsvSummary & { inflated: number } = {
    name: entry.name,
    header,
    delimiter,
    rowCount: counter.records - 1,
    inflated: guard.read,
  };
  // Only a detected encoding other than UTF-8 is kept: a job without character_encoding reads the CSV in it.
  if (detected !== null && !isUtf8(detected)) summary.encoding = detected;
  return summary;
}

/** Summaries detect the CSV's encoding from its first bytes. */
export const AUTO = 'auto';

/**
 * Reads the zip's one CSV once: its header, delimiter and record count. Validates that it is a usable zip
 * within `limits`.
 */
export async function summarizeZipCsv(
  zipPath: string,
  encoding = AUTO,
  limits: UploadLimits = NO_UPLOAD_LIMITS,
): Promise<CsvSummary> {
  const { entry, close } = await pickCsv(zipPath);
  try {
    const { inflated: _, ...summary } = await summarizeEntry(entry, encoding, limits);
    return summary;
  } finally {
    close();
  }
}

/**
 * Reads every CSV of a zip made for a parent/child job (one CSV per module): each one's header, delimiter
 * and record count, in zip order. At most `maxCsvs` CSVs, and no two with the same name.
 */
export async function summarizeZipCsvs(
  zipPath: string,
  maxCsvs: number,
  encoding = AUTO,
  limits: UploadLimits = NO_UPLOAD_LIMITS,
): Promise<CsvSummary[]> {
  const entries = await openCsvEntries(zipPath);
  try {
    if (entries.csv.length === 0) throw new CsvFileError('no-csv', 'the zip holds no CSV file');
    if (entries.csv.length > maxCsvs) {
      throw new CsvFileError(
        'many-csv',
        `the zip holds ${entries.csv.length} CSV files; at most ${maxCsvs} are allowed`,
      );
    }
    const names = new Set<string>();
    const out: CsvSummary[] = [];
    let inflated = 0;
    for (const entry of entries.csv) {
      if (names.has(entry.name)) throw new CsvFileError('many-csv', `the zip holds two CSV files named ${entry.name}`);
      names.add(entry.name);
      const { inflated: bytes, ...summary } = await summarizeEntry(entry, encoding, limits, inflated);
      inflated += bytes;
      out.push(summary);
    }
    return out;
  } finally {
    entries.close();
  }
}

async function openEntry(entry: { open(): Promise<Readable> }): Promise<Readable> {
  try {
    return await entry.open();
  } catch (e) {
    throw new CsvFileError('unreadable', `the zip could not be read: ${(e as Error).message}`);
  }
}

/** The chunks of a stream; a failure to read them (a corrupt or truncated zip) is a CsvFileError. */
async function* readable(stream: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (e) {
    throw new CsvFileError('unreadable', `the zip could not be read: ${(e as Error).message}`);
  }
}

/**
 * Streams the rows of one CSV of the zip, header first, a slice of rows at a time (CsvRowParser); handing
 * over whole slices spares the consumer an await per row. Memory is bounded by the zip reader's chunk
 * size, not by the file.
 */
export async function* readZipCsvRows(
  zipPath: string,
  encoding: string,
  delimiter: string,
  /** The CSV to read in a zip that holds several; without it the zip must hold exactly one. */
  csvName?: string,
  /** Told when bytes not valid in `encoding` were read (they come out as U+FFFD). */
  watch?: DecodeWatch,
): AsyncGenerator<string[][]> {
  const { entry, close } = await pickCsv(zipPath, csvName);
  let source: Readable | null = null;
  try {
    source = await openEntry(entry);
    // Read ahead: inflating continues while the consumer is busy with a batch.
    const ahead = new PassThrough({ highWaterMark: 4 << 20 });
    source.on('error', (e) => ahead.destroy(e));
    source.pipe(ahead);
    const decode = createDecoder(encoding, watch);
    const parser = new CsvRowParser(delimiter);
    for await (const chunk of readable(ahead)) {
      const rows = parser.push(decode(chunk));
      if (rows.length > 0) yield rows;
    }
    const rows = parser.end(decode(null));
    if (rows.length > 0) yield rows;
  } finally {
    source?.destroy();
    close();
  }
}
