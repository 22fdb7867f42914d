import Papa from 'papaparse';
import { PassThrough, type Readable } from 'node:stream';
import { detectDelimiter } from '../client/csv-delimiter.js';
import { ByteRecordCounter, TextRecordCounter } from './count-records.js';
import { createDecoder } from './decode.js';
import { NotAZipError, openZipCsvEntries } from './zip-entries.js';

export interface CsvSummary {
  csvName: string;
  header: string[];
  delimiter: string;
  /** Data rows (the header row excluded; empty lines not counted). */
  rowCount: number;
}

export class CsvFileError extends Error {
  constructor(
    readonly reason: 'not-zip' | 'no-csv' | 'many-csv' | 'empty-csv' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

export { detectDelimiter };

async function onlyCsv(zipPath: string) {
  let entries;
  try {
    entries = await openZipCsvEntries(zipPath);
  } catch (e) {
    if (e instanceof NotAZipError) throw new CsvFileError('not-zip', 'the file is not a zip archive');
    throw e;
  }
  if (entries.csv.length !== 1) {
    entries.close();
    throw new CsvFileError(
      entries.csv.length === 0 ? 'no-csv' : 'many-csv',
      entries.csv.length === 0
        ? 'the zip holds no CSV file'
        : `the zip holds ${entries.csv.length} CSV files; one is allowed`,
    );
  }
  return { entry: entries.csv[0]!, close: entries.close };
}

/** Reads the zip's one CSV once: its header, delimiter and record count. Validates that it is a usable zip. */
export async function summarizeZipCsv(zipPath: string, encoding = 'UTF-8'): Promise<CsvSummary> {
  const { entry, close } = await onlyCsv(zipPath);
  try {
    const stream = await openEntry(entry);
    // UTF-8 is counted on the bytes (quotes and line breaks are single bytes there), without decoding.
    const utf8 = encoding.toLowerCase().replace(/[^a-z0-9]/g, '') === 'utf8';
    const counter = utf8 ? new ByteRecordCounter() : new TextRecordCounter(createDecoder(encoding));
    for await (const chunk of readable(stream)) counter.push(chunk);
    counter.end();
    if (counter.firstLine === null) throw new CsvFileError('empty-csv', 'the CSV file is empty');
    const delimiter = detectDelimiter(counter.firstLine);
    const parsed = Papa.parse<string[]>(counter.firstLine, { delimiter });
    const header = (parsed.data[0] ?? []).map((h) => h.trim());
    return { csvName: entry.name, header, delimiter, rowCount: counter.records - 1 };
  } finally {
    close();
  }
}

/**
 * Finds where complete records end in a stream of text: the last line break outside quotes.
 * Jumps from quote to quote with indexOf, so text without quotes costs one lastIndexOf.
 */
export class RecordBoundary {
  private quoted = false;

  /** The index just past the last record-ending line break in `text`, or 0 when there is none. */
  scan(text: string): number {
    let pos = 0;
    let boundary = -1;
    let quoted = this.quoted;
    for (;;) {
      const next = text.indexOf('"', pos);
      const end = next === -1 ? text.length : next;
      if (!quoted && end > pos) {
        const nl = text.lastIndexOf('\n', end - 1);
        if (nl >= pos) boundary = nl;
      }
      if (next === -1) break;
      quoted = !quoted;
      pos = next + 1;
    }
    this.quoted = quoted;
    return boundary + 1;
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
 * Streams the rows of the zip's one CSV, header first. Decoded text is cut at record boundaries and
 * each slice is parsed in one synchronous call, which is several times faster than a parser stream.
 * Memory is bounded by the zip reader's chunk size, not by the file.
 */
export async function* readZipCsvRows(zipPath: string, encoding: string, delimiter: string): AsyncGenerator<string[]> {
  const { entry, close } = await onlyCsv(zipPath);
  let source: Readable | null = null;
  try {
    source = await openEntry(entry);
    // Read ahead: inflating continues while the consumer is busy with a batch.
    const ahead = new PassThrough({ highWaterMark: 4 << 20 });
    source.on('error', (e) => ahead.destroy(e));
    source.pipe(ahead);
    const decode = createDecoder(encoding);
    const boundary = new RecordBoundary();
    let pending = '';
    const parse = (text: string): string[][] => {
      const parsed = Papa.parse<string[]>(text, { delimiter, skipEmptyLines: true });
      return parsed.data;
    };
    for await (const chunk of readable(ahead)) {
      const text = decode(chunk);
      if (text.length === 0) continue;
      const cut = boundary.scan(text);
      if (cut === 0) {
        pending += text;
        continue;
      }
      const rows = parse(pending + text.slice(0, cut));
      pending = text.slice(cut);
      for (const row of rows) yield row;
    }
    const rest = pending + decode(null);
    if (rest.length > 0) for (const row of parse(rest)) yield row;
  } finally {
    source?.destroy();
    close();
  }
}
