import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import {
  array,
  boolean,
  count,
  id,
  integer,
  nullable,
  object,
  optional,
  record,
  string,
  type Infer,
} from './schema-kit.js';
import { UserSchema } from './schema.js';

/**
 * Zoho CRM's Bulk Read API (`/crm/bulk/{version}/read`): the wire shapes the client relies on, and the
 * page writer that appends each page's CSV to one output. docs/bulk-read.md lists the wire facts.
 */

export const READ_COMPARATORS = [
  'equal',
  'not_equal',
  'in',
  'not_in',
  'less_than',
  'less_equal',
  'greater_than',
  'greater_equal',
  'between',
  'not_between',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
] as const;
export type ReadComparator = (typeof READ_COMPARATORS)[number];

/** One condition, or a group of two or more joined by and / or (Zoho's criteria object). */
export type ReadCriteria =
  | { api_name: string; comparator: ReadComparator; value: string | number | boolean | Array<string | number> }
  | { group_operator: 'and' | 'or'; group: ReadCriteria[] };

/** Zoho's read job states; a job that ended badly is FAILURE (bulk write says FAILED). */
export const READ_FINAL_STATES: readonly string[] = ['COMPLETED', 'FAILURE', 'FAILED'];

export const ReadResultSchema = object({
  page: integer(),
  count: count(),
  download_url: optional(string()),
  per_page: optional(integer()),
  more_records: boolean(),
});

/** GET /crm/bulk/{version}/read/{job_id} → `{"data": [ <this> ]}`. */
export const ReadJobDetailsSchema = object({
  id: id(),
  operation: optional(string()),
  state: string(),
  query: optional(record()),
  created_by: optional(UserSchema),
  created_time: optional(string()),
  result: optional(nullable(ReadResultSchema)),
  file_type: optional(string()),
});
export type ReadJobDetails = Infer<typeof ReadJobDetailsSchema>;
export const ReadJobDetailsResponseSchema = object({ data: array(ReadJobDetailsSchema) });

/** POST /crm/bulk/{version}/read → 201 `{"data": [{status, code, message, details}], "info": {}}`. */
export const CreateReadJobResponseSchema = object({
  data: array(object({ status: string(), code: string(), message: optional(string()), details: record() })),
});
export const CreatedReadJobSchema = object({ id: id(), state: optional(string()), operation: optional(string()) });

export interface ReadJobRequest {
  module: string;
  fields?: string[];
  criteria?: ReadCriteria;
  page?: number;
  callback?: { url: string; method: 'post' };
}

/** The JSON body of a create-read-job request, as the SDKs send it (module as `{api_name}`). */
export function readJobBody(req: ReadJobRequest): Record<string, unknown> {
  return {
    ...(req.callback ? { callback: req.callback } : {}),
    query: {
      module: { api_name: req.module },
      ...(req.fields && req.fields.length ? { fields: req.fields } : {}),
      ...(req.criteria ? { criteria: req.criteria } : {}),
      page: req.page ?? 1,
    },
    file_type: 'csv',
  };
}

/** Passes a page's CSV through, without its header line when `dropHeader`, and remembers how it ends. */
class PageCsv extends Transform {
  header = '';
  endsWithNewline = true;
  bytes = 0;
  private inHeader = true;
  private headerBytes: Buffer[] = [];

  constructor(private readonly dropHeader: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null, data?: Buffer) => void): void {
    let body = chunk;
    if (this.inHeader) {
      const nl = chunk.indexOf(0x0a);
      const head = nl < 0 ? chunk : chunk.subarray(0, nl + 1);
      this.headerBytes.push(head);
      if (nl < 0) {
        if (!this.dropHeader) this.emit_(chunk);
        return done();
      }
      this.inHeader = false;
      this.header = Buffer.concat(this.headerBytes)
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .replace(/\r?\n$/, '');
      this.headerBytes = [];
      body = this.dropHeader ? chunk.subarray(nl + 1) : chunk;
    }
    this.emit_(body);
    done();
  }

  override _flush(done: (e?: Error | null) => void): void {
    if (this.inHeader)
      this.header = Buffer.concat(this.headerBytes)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
    done();
  }

  private emit_(b: Buffer): void {
    if (b.length === 0) return;
    this.bytes += b.length;
    this.endsWithNewline = b[b.length - 1] === 0x0a;
    this.push(b);
  }
}

function openZipCsv(path: string): Promise<{ csv: Readable; name: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('not a zip'));
      zip.on('error', reject);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!/\.csv$/i.test(entry.fileName)) return zip.readEntry();
        zip.openReadStream(entry, (e, csv) => {
          if (e || !csv) return reject(e ?? new Error('unreadable zip entry'));
          resolve({ csv, name: entry.fileName, close: () => zip.close() });
        });
      });
      zip.on('end', () => reject(new Error('the zip holds no CSV')));
      zip.readEntry();
    });
  });
}

/**
 * Appends one page (a downloaded zip) to `out`: the CSV inside, streamed, without its header unless it
 * is the first page written. The zip goes through a temporary file, as a zip is read from its end.
 */
export async function appendPage(
  zipBody: Readable,
  out: Writable,
  opts: { first: boolean; signal?: AbortSignal | undefined },
): Promise<{ header: string; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'bulkwrite-export-'));
  try {
    const zipPath = join(dir, 'page.zip');
    await pipeline(zipBody, createWriteStream(zipPath), opts.signal ? { signal: opts.signal } : {});
    const { csv, close } = await openZipCsv(zipPath);
    try {
      const page = new PageCsv(!opts.first);
      await pipeline(csv, page, forwardTo(out), opts.signal ? { signal: opts.signal } : {});
      if (!page.endsWithNewline && page.bytes > 0) await writeAll(out, '\n');
      return { header: page.header, bytes: page.bytes };
    } finally {
      close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A writable that hands each chunk to `out` and finishes when `out` has taken it: every page goes into
 * the same `out`, and a pipeline ending at `out` itself would leave its listeners there, page after page
 * (a warning past ten pages, and a leak).
 */
function forwardTo(out: Writable): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.write(chunk, (e) => done(e ?? null));
    },
  });
}

function writeAll(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => out.write(text, (e) => (e ? reject(e) : resolve())));
}

/** A file target: written to `<path>.partial`, renamed into place only when every page is in. */
export async function withFileTarget<T>(path: string, run: (out: Writable) => Promise<T>): Promise<T> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  try {
    const value = await run(out);
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
    await rename(partial, path);
    return value;
  } catch (e) {
    out.destroy();
    await rm(partial, { force: true });
    throw e;
  }
}
