import { jobProgress, type JobDetails, type ResultFile, type ResultRow } from '../../client/index.js';
import { EXIT } from '../exit-codes.js';
import { formatCount, renderTable, type Output } from './output.js';

/** What each row error code means (spec §6, §8), printed under the skipped-rows table. */
export const ROW_ERROR_MEANINGS: Record<string, string> = {
  MANDATORY_NOT_FOUND: 'a mandatory field is empty',
  INVALID_DATA: 'a value does not fit the field (type, length, format or picklist)',
  DUPLICATE_DATA: 'a unique field already has this value (in the CRM or an earlier row)',
  RESOURCE_NOT_FOUND: 'no record matches the find_by or lookup value',
  NOT_APPROVED: 'the record awaits approval',
  BLOCKED_RECORD: 'the record is locked',
  CANNOT_PROCESS: 'the row could not be processed',
  LIMIT_EXCEEDED: 'a limit was exceeded',
};

const WRITTEN = new Set(['ADDED', 'UPDATED']);

export function notWritten(rows: readonly ResultRow[]): ResultRow[] {
  return rows.filter((r) => !WRITTEN.has(String(r.status).toUpperCase()));
}

/** 0 when every row was written, 3 when some were not, 4 when the job failed. */
export function exitCodeFor(job: JobDetails, result: ResultFile | null): number {
  if (job.status === 'FAILED') return EXIT.JOB_FAILED;
  const p = jobProgress(job);
  if (p.skipped > 0) return EXIT.ROWS_SKIPPED;
  if (result && notWritten(result.rows).length > 0) return EXIT.ROWS_SKIPPED;
  return EXIT.OK;
}

export function formatRowErrors(row: ResultRow): string {
  if (row.errors.length === 0) return row.errorsText || String(row.status);
  return row.errors.map((e) => (e.columns.length ? `${e.code}: ${e.columns.join(', ')}` : e.code)).join('; ');
}

/** The job's outcome in a few lines: status, counts, and the failure for a failed job. */
export function printSummary(out: Output, job: JobDetails, opts: { elapsedMs?: number; rows?: number } = {}): void {
  const p = jobProgress(job);
  const failed = job.status === 'FAILED';
  const mark = failed
    ? out.style('red', '✖ FAILED')
    : p.skipped > 0
      ? out.style('yellow', '▲ COMPLETED')
      : job.status === 'COMPLETED'
        ? out.style('green', '✔ COMPLETED')
        : job.status;
  const took = opts.elapsedMs !== undefined ? ` in ${(opts.elapsedMs / 1000).toFixed(1)} s` : '';
  out.line(`Job ${out.style('bold', job.id)} ${mark}${took}`);
  // A parent/child job names every module and CSV, the parent first.
  const into = job.resource
    .map((r) => `${r.module?.api_name ?? '?'}${r.file?.name ? ` from ${r.file.name}` : ''}`)
    .join(', ');
  out.line(`  ${job.operation} into ${into || '?'}`);
  const pad = (label: string) => `  ${label.padEnd(9)}`;
  out.line(`${pad('added')}${formatCount(p.added)}`);
  out.line(`${pad('updated')}${formatCount(p.updated)}`);
  out.line(`${pad('skipped')}${p.skipped > 0 ? out.style('yellow', formatCount(p.skipped)) : '0'}`);
  out.line(
    `${pad('total')}${formatCount(p.total)}${opts.rows !== undefined && opts.rows !== p.total ? ` of ${formatCount(opts.rows)} rows in the file` : ''}`,
  );
  if (failed) {
    for (const r of job.resource) {
      if (r.code || r.message)
        out.line(`  ${out.style('red', 'reason')}   ${[r.code, r.message].filter(Boolean).join(': ')}`);
    }
  }
}

/** The rows that were not written, with their errors, and what the error codes mean. */
export function printSkipped(out: Output, result: ResultFile, limit: number): void {
  const skipped = notWritten(result.rows);
  if (skipped.length === 0) return;
  out.line();
  out.line(
    out.style('bold', `${formatCount(skipped.length)} row${skipped.length === 1 ? ' was' : 's were'} not written:`),
  );
  const shown = skipped.slice(0, Math.max(0, limit));
  const columns = result.columns.slice(0, 3);
  const rows = shown.map((r) => [
    String(r.row),
    ...columns.map((c) => r.values[c] ?? ''),
    String(r.status),
    formatRowErrors(r),
  ]);
  for (const line of renderTable(['ROW', ...columns, 'STATUS', 'ERRORS'], rows, out.width(), '  ', [0])) out.line(line);
  if (skipped.length > shown.length) out.line(`  … and ${formatCount(skipped.length - shown.length)} more`);
  const codes = [...new Set(shown.flatMap((r) => r.errors.map((e) => e.code)))].filter((c) => ROW_ERROR_MEANINGS[c]);
  if (codes.length > 0) {
    out.line();
    const width = Math.max(...codes.map((c) => c.length));
    for (const c of codes) out.line(`  ${out.style('dim', c.padEnd(width))}  ${ROW_ERROR_MEANINGS[c]}`);
  }
  out.line(out.style('dim', '  (ROW 1 is the first row after the header)'));
}
