import yazl from 'yazl';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Blobs } from '../blobs/blobs.js';
import { readZipCsvRows } from '../csv/read-csv.js';
import type { Job, RowResult, UploadedFile } from '../domain/types.js';
import type { Storage } from '../storage/storage.js';

export const RESULT_COLUMNS = ['STATUS', 'RECORD_ID', 'ERRORS'];

export function resultBlobKey(orgId: string, jobId: string): string {
  return `results/${orgId}/${jobId}.zip`;
}

/** Name of the CSV inside the result zip: "<Module>-<uploaded csv name>", as Zoho names it. */
export function resultCsvName(job: Job): string {
  return `${job.resources[0]!.module.apiName}-${job.fileName.replace(/\.csv$/i, '')}.csv`;
}

const NEEDS_QUOTES = /[",\r\n]/;
function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvLine(cells: readonly string[]): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvField(cells[i]!);
  return `${line}\r\n`;
}

/**
 * Writes the result zip: every input row, in input order, with its input columns and STATUS,
 * RECORD_ID, ERRORS. It re-reads the input and pages through the stored outcomes, so memory is
 * bounded by the page size. Written to a temporary file and moved into place when whole.
 */
export async function writeResultFile(
  deps: { storage: Storage; blobs: Blobs },
  job: Job,
  file: UploadedFile,
  pageSize: number,
): Promise<string> {
  const key = resultBlobKey(job.orgId, job.id);
  const tmp = deps.blobs.tempPath(`${job.id}.zip`);
  const zip = new yazl.ZipFile();
  const csv = new PassThrough({ highWaterMark: 1 << 20 });
  zip.addReadStream(csv, resultCsvName(job), { compressionLevel: 1, mtime: new Date(job.createdAt) });
  const out = deps.blobs.write(tmp);
  zip.outputStream.pipe(out);
  zip.end();

  let page: RowResult[] = [];
  let pageAt = 0;
  let nextFrom = 1;
  let width = 0;
  let rowNo = 0;
  let pending = '';
  const flush = async () => {
    if (pending.length === 0) return;
    const ok = csv.write(pending);
    pending = '';
    if (!ok) await new Promise<void>((resolve) => csv.once('drain', resolve));
  };

  for await (const cells of readZipCsvRows(deps.blobs.pathOf(file.blobKey), job.characterEncoding, file.delimiter)) {
    if (width === 0) {
      width = cells.length;
      pending += csvLine([...cells, ...RESULT_COLUMNS]);
      continue;
    }
    rowNo++;
    if (pageAt >= page.length) {
      page = await deps.storage.jobs.results(job.id, nextFrom, pageSize);
      pageAt = 0;
      nextFrom = (page.at(-1)?.rowNo ?? nextFrom) + 1;
    }
    const result = page[pageAt];
    if (!result || result.rowNo !== rowNo) throw new Error(`job ${job.id}: no stored outcome for row ${rowNo}`);
    pageAt++;
    const padded = cells.length >= width ? cells : [...cells, ...new Array<string>(width - cells.length).fill('')];
    pending += csvLine([...padded, result.status, result.recordId ?? '', result.errors ?? '']);
    if (pending.length > 1 << 16) await flush();
  }
  await flush();
  csv.end();
  await finished(out);
  await deps.blobs.adopt(key, tmp);
  return key;
}
