import { finished } from 'node:stream/promises';
import type { Blobs } from '../blobs/blobs.js';
import { resultBlobKey } from '../blobs/result-key.js';
import { readZipCsvRows } from '../csv/read-csv.js';
import { csvField } from '../csv-format/csv-field.js';
import type { Job, JobResource, RowResult } from '../domain/types.js';
import type { Storage } from '../storage/storage.js';
import { ZipStreamWriter } from './zip-writer.js';

export const RESULT_COLUMNS = ['STATUS', 'RECORD_ID', 'ERRORS'];

/**
 * Which input columns the result CSV echoes before STATUS, RECORD_ID and ERRORS. `zoho`: Zoho's
 * download-result page, "the first three mapped columns from the uploaded file"; `all`: every column of
 * the upload (BULKWRITE_RESULT_COLUMNS=all, docs/behaviour.md).
 */
export type ResultColumns = 'zoho' | 'all';

/**
 * The input column indexes a resource's result echoes, in the file's order; null: every column. Zoho's
 * shape takes the first three columns that a field mapping reads (a column no mapping names is not echoed).
 */
export function echoedColumns(resource: JobResource, mode: ResultColumns): number[] | null {
  if (mode === 'all') return null;
  const mapped = new Set<number>();
  for (const m of resource.fieldMappings) if (m.index !== null) mapped.add(m.index);
  return [...mapped].sort((a, b) => a - b).slice(0, 3);
}

/** Zoho's STATUS for a row a FAILED job did not reach (download-result page: "unprocessed"). */
const UNPROCESSED: ResultCells = { status: 'UNPROCESSED', recordId: null, errors: null };

/** What a result line says after the echoed columns. */
export type ResultCells = Pick<RowResult, 'recordId' | 'errors'> & { status: string };

/**
 * Names of the CSVs inside the result zip, one per resource: "<Module>-<uploaded csv name>", as Zoho
 * names them.
 */
export function resultCsvNames(job: Job): string[] {
  return job.resources.map((r) => `${r.module.apiName}-${(r.csvName ?? job.fileName).replace(/\.csv$/i, '')}.csv`);
}

/**
 * One line of a result CSV: the echoed input cells (`echo`; null: the first `width` cells, every column
 * of the header), then STATUS, RECORD_ID and ERRORS, or their names for the header (`result` null).
 */
export function resultLine(
  cells: readonly string[],
  echo: readonly number[] | null,
  width: number,
  result: ResultCells | null,
): string {
  let line = '';
  // Every line has the result's columns: a short row's missing cells are empty, and a long row's
  // cells past the header are left out (no mapping can name them), so STATUS, RECORD_ID and ERRORS
  // stay under their own names.
  if (echo === null) {
    for (let i = 0; i < width; i++) line += (i === 0 ? '' : ',') + csvField(cells[i] ?? '');
  } else {
    for (let i = 0; i < echo.length; i++) line += (i === 0 ? '' : ',') + csvField(cells[echo[i]!] ?? '');
  }
  if (result)
    return `${line},${result.status},${result.recordId ?? ''},${result.errors === null ? '' : csvField(result.errors)}\r\n`;
  return `${line},${RESULT_COLUMNS.join(',')}\r\n`;
}

/** Bytes of result CSV gathered before they go to the zip as one chunk. */
const CHUNK_BYTES = 1 << 20;

/**
 * Writes a result zip: for each resource's CSV, the echoed input columns (`echoedColumns`) plus STATUS,
 * RECORD_ID, ERRORS, then one line per input row. It deflates as it goes into a temporary file, and moves the zip into place only
 * when whole. The CSVs are written one after another: `nextCsv()` closes one and opens the next.
 *
 * Lines are encoded straight into a 1 MiB buffer that goes to the zip whole: far cheaper than gathering
 * them in a string, which the stream would flatten and encode again. `row()` never waits; the caller
 * awaits `settle()` once per batch, so memory is bounded by a batch's lines.
 */
export class ResultZipWriter {
  private readonly names: readonly string[];
  private at = 0;
  private readonly out;
  private readonly zip: ZipStreamWriter;
  private readonly tmp: string;
  private abandoned = false;
  private width = 0;
  /** The current resource's echoed columns; null: the header's columns, all of them. */
  private echo: number[] | null;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** The zip asked to wait (its deflater holds enough input). */
  private full = false;

  /** `names`: the CSVs of the zip (default: a bulk write job's, one per resource). */
  constructor(
    private readonly blobs: Blobs,
    private readonly job: Job,
    private readonly columns: ResultColumns,
    names: readonly string[] = resultCsvNames(job),
  ) {
    // A bulk read job's zip has no resources: its lines are written whole (`cells`).
    this.echo = job.resources[0] ? echoedColumns(job.resources[0], columns) : null;
    this.tmp = blobs.tempPath(`${job.id}.zip`);
    this.names = names;
    this.out = blobs.write(this.tmp);
    // Once abandoned, late writes into the closed file are expected and ignored; before that, an
    // error reaches finish() through finished(out) and settle() through the zip.
    this.out.on('error', () => undefined);
    this.zip = new ZipStreamWriter(this.out, { level: 1, mtime: new Date(job.createdAt) });
    this.zip.begin(names[0]!);
  }

  header(cells: readonly string[]): void {
    this.width = cells.length;
    this.line(cells, null);
  }

  /** Adds the line of a row the job did not reach (it FAILED first): STATUS `UNPROCESSED`. */
  unprocessed(cells: readonly string[]): void {
    this.line(cells, UNPROCESSED);
  }

  /** Adds a row's line; call `settle()` now and then (once per batch) to let the zip catch up. */
  row(cells: readonly string[], result: RowResult): void {
    this.line(cells, result);
  }

  private line(cells: readonly string[], result: ResultCells | null): void {
    this.append(resultLine(cells, this.echo, this.width, result));
  }

  /** Adds a line of exactly these cells (a bulk read CSV's header); call `settle()` now and then, as for `row()`. */
  cells(cells: readonly string[]): void {
    let line = '';
    for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvField(cells[i]!);
    this.append(`${line}\r\n`);
  }

  /** Adds one CSV line as rendered (its fields quoted, ending in CRLF); call `settle()` now and then. */
  csvLine(line: string): void {
    this.append(line);
  }

  private append(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.used + line.length * 3 > this.buf.length) {
      this.push();
      if (line.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(line.length * 3);
    }
    this.used += this.buf.write(line, this.used);
  }

  /** Hands the gathered bytes to the zip (which keeps them) and starts a new buffer. */
  private push(): void {
    if (this.used === 0) return;
    if (!this.zip.write(this.buf.subarray(0, this.used))) this.full = true;
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  /** Waits until the zip's deflater has taken what it holds beyond its high-water mark. */
  async settle(): Promise<void> {
    if (!this.full) return;
    this.full = false;
    await this.zip.drain();
  }

  /** Ends the current resource's CSV; what follows goes to the next resource's. */
  async nextCsv(): Promise<void> {
    this.push();
    await this.settle();
    await this.zip.end();
    this.zip.begin(this.names[++this.at]!);
    this.width = 0;
    this.echo = echoedColumns(this.job.resources[this.at]!, this.columns);
  }

  /** Finishes the zip and stores it as the job's result; returns the blob key. */
  async finish(): Promise<string> {
    this.push();
    await this.settle();
    await this.zip.end();
    // The CSVs not reached are in the zip, empty.
    for (let i = this.at + 1; i < this.names.length; i++) {
      this.zip.begin(this.names[i]!);
      await this.zip.end();
    }
    this.zip.finish();
    await finished(this.out);
    const key = resultBlobKey(this.job.orgId, this.job.id);
    await this.blobs.adopt(key, this.tmp);
    return key;
  }

  /** Drops the unfinished zip (the job was handed back or failed). */
  abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.zip.destroy();
    this.out.destroy();
    // Best effort: a temp file that cannot be removed now is only disk, not a wrong result.
    this.blobs.removeTemp(this.tmp).catch(() => undefined);
  }
}

/** A resource's CSV and where its rows sit in the job's row numbering. */
export interface ResourceInput {
  zipPath: string;
  csvName: string | undefined;
  delimiter: string;
  /** Rows of the job before this resource's first row. */
  rowsBefore: number;
}

/**
 * Rebuilds a result zip from the stored outcomes, re-reading the input; used when a job resumed
 * after an interruption, so the zip written on the way is incomplete, and when a job FAILED after some
 * rows: then `unreachedAfter` is its checkpoint, and every later row is `UNPROCESSED`. Memory is bounded
 * by the page size.
 */
export async function rebuildResultFile(
  deps: { storage: Storage; blobs: Blobs },
  job: Job,
  inputs: ResourceInput[],
  opts: { pageSize: number; columns: ResultColumns; unreachedAfter?: number },
): Promise<string> {
  const { pageSize, unreachedAfter = Infinity } = opts;
  const writer = new ResultZipWriter(deps.blobs, job, opts.columns);
  try {
    let page: RowResult[] = [];
    let pageAt = 0;
    let nextFrom = 1;
    for (const [i, input] of inputs.entries()) {
      if (i > 0) await writer.nextCsv();
      let rowNo = input.rowsBefore;
      let header = true;
      for await (const rows of readZipCsvRows(input.zipPath, job.characterEncoding, input.delimiter, input.csvName)) {
        for (const cells of rows) {
          if (header) {
            header = false;
            writer.header(cells);
            continue;
          }
          rowNo++;
          if (rowNo > unreachedAfter) {
            writer.unprocessed(cells);
            continue;
          }
          if (pageAt >= page.length) {
            page = await deps.storage.jobs.results(job.id, nextFrom, pageSize);
            pageAt = 0;
            nextFrom = (page.at(-1)?.rowNo ?? nextFrom) + 1;
          }
          const result = page[pageAt];
          if (!result || result.rowNo !== rowNo) throw new Error(`job ${job.id}: no stored outcome for row ${rowNo}`);
          pageAt++;
          writer.row(cells, result);
        }
        await writer.settle();
      }
    }
    return await writer.finish();
  } catch (e) {
    writer.abandon();
    throw e;
  }
}
