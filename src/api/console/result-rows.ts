import type { Job, RowResult } from '../../domain/types.js';
import type { Storage } from '../../storage/storage.js';

/**
 * A job's row outcomes for the console, read from the stored outcomes a bounded slice at a time, so a
 * million-row result is never loaded whole: a page of rows (all, or the skipped ones, or those with one
 * error code) and the count per error code, kept per job and extended as the job commits more rows.
 */

/** Keeps `key` in a map of at most `max` entries; the oldest one makes room. */
export function keepAtMost<K, V>(map: Map<K, V>, max: number, key: K, value: V): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

const READ_BATCH = 2_000;
/** Rows read at most for one filtered page; the answer says where the next read starts. */
const MAX_SCAN = 50_000;
/** Rows counted at most per call of countErrorCodes; the answer says how far the count has got. */
const MAX_COUNT_SCAN = 250_000;

/** `CODE-field,field` groups of an ERRORS cell (row-plan.ts formatErrors), joined with `:`. */
export function errorGroups(errors: string | null): string[] {
  return errors === null || errors === '' ? [] : errors.split(':');
}

function rowJson(r: RowResult) {
  return { row: r.rowNo, status: r.status, record_id: r.recordId, errors: r.errors };
}

export interface RowFilter {
  from: number;
  limit: number;
  skippedOnly: boolean;
  /** One `CODE-field` group (as countErrorCodes names them). */
  code?: string;
}

export async function scanRows(storage: Storage, job: Job, f: RowFilter) {
  const last = job.checkpointRow;
  const rows: ReturnType<typeof rowJson>[] = [];
  const filtering = f.skippedOnly || f.code !== undefined;
  let at = f.from;
  while (rows.length < f.limit && at <= last && at - f.from < (filtering ? MAX_SCAN : f.limit)) {
    const batch = await storage.jobs.results(job.id, at, filtering ? READ_BATCH : f.limit - rows.length);
    if (batch.length === 0) break;
    for (const r of batch) {
      if (rows.length === f.limit) break;
      at = r.rowNo + 1;
      if (f.skippedOnly && r.status !== 'SKIPPED') continue;
      if (f.code !== undefined && !errorGroups(r.errors).includes(f.code)) continue;
      rows.push(rowJson(r));
    }
  }
  return { rows, next_from: at <= last ? at : null, committed_rows: last };
}

interface CodeCount {
  countedTo: number;
  skipped: number;
  codes: Map<string, number>;
}

const counts = new Map<string, CodeCount>();

/** How many rows carry each error group, counted incrementally up to the job's committed rows. */
export async function countErrorCodes(storage: Storage, job: Job) {
  const kept = counts.get(job.id);
  // Each call counts on its own copy, so two tabs asking at once never count a row twice.
  const c: CodeCount =
    kept === undefined || kept.countedTo > job.checkpointRow
      ? { countedTo: 0, skipped: 0, codes: new Map() }
      : { countedTo: kept.countedTo, skipped: kept.skipped, codes: new Map(kept.codes) };
  const stop = Math.min(job.checkpointRow, c.countedTo + MAX_COUNT_SCAN);
  while (c.countedTo < stop) {
    const batch = await storage.jobs.results(job.id, c.countedTo + 1, Math.min(READ_BATCH * 5, stop - c.countedTo));
    if (batch.length === 0) break;
    for (const r of batch) {
      if (r.status === 'SKIPPED') c.skipped++;
      for (const g of errorGroups(r.errors)) c.codes.set(g, (c.codes.get(g) ?? 0) + 1);
    }
    c.countedTo = batch.at(-1)!.rowNo;
  }
  if ((counts.get(job.id)?.countedTo ?? -1) < c.countedTo) keepAtMost(counts, 200, job.id, c);
  const codes = [...c.codes]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 200)
    .map(([code, rows]) => ({ code, rows }));
  return { codes, skipped: c.skipped, counted_rows: c.countedTo, committed_rows: job.checkpointRow };
}
