import { errorGroups } from '../../domain/row-plan.js';
import type { Job, RowResult } from '../../domain/types.js';
import type { ResultSummary, Storage } from '../../storage/storage.js';

/**
 * A job's row outcomes for the console, never loaded whole. A page of all rows reads only the chunks
 * that hold it. A filtered page (skipped only, or one error group) walks the per-chunk summaries
 * (`Storage.jobs.resultSummaries`: rows skipped and rows per error group, one small row per committed
 * chunk) and unpacks only the chunks that hold a matching row, so it costs the same at row 10 as at row
 * 990,000; `next_from` is the cursor where the next page starts. The count per error group is the sum of
 * the summaries, kept per job and extended as the job commits more rows, one count at a time per job.
 * Chunks committed before summaries were kept are read row by row instead, a bounded slice per call.
 */

/** Keeps `key` in a map of at most `max` entries; the oldest one makes room. */
export function keepAtMost<K, V>(map: Map<K, V>, max: number, key: K, value: V): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

const READ_BATCH = 2_000;
const SUMMARY_BATCH = 500;
/** Outcome rows unpacked at most for one filtered page; the answer says where the next read starts. */
const MAX_SCAN = 50_000;
/** Chunk summaries walked at most for one filtered page (10,000 chunks: 50 million rows at 5,000 a chunk). */
const MAX_SUMMARIES = 10_000;
/** Outcome rows of chunks without a summary counted at most per call of countErrorCodes. */
const MAX_COUNT_SCAN = 250_000;

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
  const keep = (r: RowResult) =>
    (!f.skippedOnly || r.status === 'SKIPPED') && (f.code === undefined || errorGroups(r.errors).includes(f.code));
  const chunkMatches = (s: ResultSummary) =>
    (!f.skippedOnly || s.skipped > 0) && (f.code === undefined || (s.codes[f.code] ?? 0) > 0);
  let unpacked = 0;
  /** Reads rows `from`…`to` (and no further), keeping the matching ones; the row after the last one read. */
  const scan = async (from: number, to: number): Promise<number> => {
    let at = from;
    while (at <= to && rows.length < f.limit && unpacked < MAX_SCAN) {
      const batch = await storage.jobs.results(job.id, at, Math.min(READ_BATCH, to - at + 1));
      if (batch.length === 0) return to + 1;
      unpacked += batch.length;
      for (const r of batch) {
        if (rows.length === f.limit) break;
        at = r.rowNo + 1;
        if (keep(r)) rows.push(rowJson(r));
      }
    }
    return at;
  };

  let at = f.from;
  if (!f.skippedOnly && f.code === undefined) {
    at = await scan(at, Math.min(last, at + f.limit - 1));
  } else {
    let walked = 0;
    walk: while (at <= last && rows.length < f.limit && unpacked < MAX_SCAN && walked < MAX_SUMMARIES) {
      const summaries = await storage.jobs.resultSummaries(job.id, at, SUMMARY_BATCH);
      walked += summaries.length;
      for (const s of summaries) {
        if (s.firstRow > last) break walk;
        // Chunks committed before summaries were kept leave a gap: read its outcomes.
        if (s.firstRow > at && (at = await scan(at, s.firstRow - 1)) < s.firstRow) break walk;
        if (!chunkMatches(s)) {
          at = s.lastRow + 1;
          continue;
        }
        if ((at = await scan(Math.max(at, s.firstRow), s.lastRow)) <= s.lastRow) break walk;
      }
      if (summaries.length < SUMMARY_BATCH) {
        at = await scan(at, last);
        break;
      }
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
/** A count under way per job: tabs asking at once wait for it instead of counting the same rows again. */
const counting = new Map<string, Promise<CodeCount>>();

async function countOn(storage: Storage, job: Job, c: CodeCount): Promise<CodeCount> {
  let budget = MAX_COUNT_SCAN;
  const add = (group: string, n: number) => c.codes.set(group, (c.codes.get(group) ?? 0) + n);
  /** Counts the outcomes of rows up to `to` that no summary covers; false when the budget ran out first. */
  const countRows = async (to: number): Promise<boolean> => {
    while (c.countedTo < to) {
      if (budget <= 0) return false;
      const want = Math.min(READ_BATCH * 5, to - c.countedTo, budget);
      const batch = await storage.jobs.results(job.id, c.countedTo + 1, want);
      if (batch.length === 0) return true;
      budget -= batch.length;
      for (const r of batch) {
        if (r.status === 'SKIPPED') c.skipped++;
        for (const g of errorGroups(r.errors)) add(g, 1);
      }
      c.countedTo = batch.at(-1)!.rowNo;
    }
    return true;
  };
  const last = job.checkpointRow;
  while (c.countedTo < last) {
    const summaries = await storage.jobs.resultSummaries(job.id, c.countedTo + 1, SUMMARY_BATCH);
    for (const s of summaries) {
      // A chunk committed after the job was read waits for the next call, so counts never pass it.
      if (s.lastRow > last) return c;
      if (s.firstRow > c.countedTo + 1 && !(await countRows(s.firstRow - 1))) return c;
      if (s.firstRow <= c.countedTo) {
        // Partly counted row by row before (a gap's read stopped inside it): finish it the same way.
        if (!(await countRows(s.lastRow))) return c;
        continue;
      }
      c.skipped += s.skipped;
      for (const g in s.codes) add(g, s.codes[g]!);
      c.countedTo = s.lastRow;
    }
    if (summaries.length < SUMMARY_BATCH) {
      await countRows(last);
      return c;
    }
  }
  return c;
}

/** How many rows carry each error group, counted up to the job's committed rows. */
export async function countErrorCodes(storage: Storage, job: Job) {
  let c = counts.get(job.id);
  if (c === undefined || c.countedTo < job.checkpointRow) {
    let pending = counting.get(job.id);
    if (pending === undefined) {
      // Counted on a copy: the kept count is shared with every caller until this one is done.
      const from: CodeCount =
        c === undefined
          ? { countedTo: 0, skipped: 0, codes: new Map() }
          : { countedTo: c.countedTo, skipped: c.skipped, codes: new Map(c.codes) };
      pending = countOn(storage, job, from).finally(() => counting.delete(job.id));
      counting.set(job.id, pending);
    }
    c = await pending;
    if ((counts.get(job.id)?.countedTo ?? -1) < c.countedTo) keepAtMost(counts, 200, job.id, c);
  }
  const codes = [...c.codes]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 200)
    .map(([code, rows]) => ({ code, rows }));
  return {
    codes,
    skipped: c.skipped,
    counted_rows: Math.min(c.countedTo, job.checkpointRow),
    committed_rows: job.checkpointRow,
  };
}
