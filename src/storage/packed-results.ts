import { errorGroups } from '../domain/row-plan.js';
import type { RowResult } from '../domain/types.js';

/**
 * Row outcomes packed one stored row per committed chunk (`job_result_chunks` in both stores): a
 * "status\trecord_id\terrors" line per row, rows first_row..last_row in order, status A, U or S, and
 * backslash, tab, newline and carriage return inside a field escaped as in PostgreSQL COPY's text format.
 */

const STATUS_CODE = { ADDED: 'A', UPDATED: 'U', SKIPPED: 'S' } as const;
const STATUS_NAME: Record<string, RowResult['status']> = { A: 'ADDED', U: 'UPDATED', S: 'SKIPPED' };

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const UNESCAPES: Record<string, string> = { '\\\\': '\\', '\\t': '\t', '\\n': '\n', '\\r': '\r' };

/** A value as a tab-separated text field: backslash, tab, newline and carriage return escaped. */
export function escapeText(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}

function unescapeText(value: string): string {
  return value.includes('\\') ? value.replace(/\\[\\tnr]/g, (e) => UNESCAPES[e]!) : value;
}

export interface PackedChunk {
  firstRow: number;
  lastRow: number;
  data: string;
}

/** A chunk's outcomes (consecutive rows, in any order) as one packed text. */
export function packResults(jobId: string, results: readonly RowResult[]): PackedChunk {
  const ordered = results.every((r, i) => i === 0 || r.rowNo > results[i - 1]!.rowNo)
    ? results
    : [...results].sort((a, b) => a.rowNo - b.rowNo);
  const firstRow = ordered[0]!.rowNo;
  const lastRow = ordered[ordered.length - 1]!.rowNo;
  if (lastRow - firstRow + 1 !== ordered.length)
    throw new Error(`job ${jobId}: a chunk's results must be consecutive rows`);
  let data = '';
  for (let i = 0; i < ordered.length; i++) {
    const r = ordered[i]!;
    data += `${i > 0 ? '\n' : ''}${STATUS_CODE[r.status]}\t${r.recordId ?? ''}\t${r.errors === null ? '' : escapeText(r.errors)}`;
  }
  return { firstRow, lastRow, data };
}

/** The outcomes of rows `fromRow`… of one packed chunk, appended to `out` until it holds `limit`. */
export function unpackResults(firstRow: number, data: string, fromRow: number, limit: number, out: RowResult[]): void {
  let row = firstRow;
  let at = 0;
  while (at <= data.length && out.length < limit) {
    let end = data.indexOf('\n', at);
    if (end < 0) end = data.length;
    if (row >= fromRow) {
      const a = data.indexOf('\t', at);
      const b = data.indexOf('\t', a + 1);
      out.push({
        rowNo: row,
        status: STATUS_NAME[data.slice(at, a)]!,
        recordId: b > a + 1 ? data.slice(a + 1, b) : null,
        errors: end > b + 1 ? unescapeText(data.slice(b + 1, end)) : null,
      });
    }
    row++;
    at = end + 1;
  }
}

/** What a chunk's outcomes hold: how many rows were skipped, and how many rows carry each error group. */
export interface ResultCounts {
  skipped: number;
  codes: Record<string, number>;
}

export function summariseResults(results: readonly RowResult[]): ResultCounts {
  let skipped = 0;
  const codes: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const r of results) {
    if (r.status === 'SKIPPED') skipped++;
    if (r.errors !== null) for (const g of errorGroups(r.errors)) codes[g] = (codes[g] ?? 0) + 1;
  }
  return { skipped, codes };
}
