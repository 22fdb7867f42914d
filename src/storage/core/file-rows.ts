import type { CsvEntrySummary, UploadedFile } from '../../domain/types.js';
import type { Params, Row } from './sql-dialect.js';

export function toFile(r: Row): UploadedFile {
  const first: CsvEntrySummary = {
    name: String(r.csv_name),
    header: JSON.parse(String(r.header)) as string[],
    delimiter: String(r.delimiter),
    rowCount: Number(r.row_count),
  };
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    name: String(r.name),
    csvName: first.name,
    size: Number(r.size),
    blobKey: String(r.blob_key),
    header: first.header,
    delimiter: first.delimiter,
    rowCount: first.rowCount,
    createdAt: Number(r.created_at),
    // Files uploaded before csv_entries existed (and one-CSV zips) have only the first CSV's columns.
    csvs: r.csv_entries ? (JSON.parse(String(r.csv_entries)) as CsvEntrySummary[]) : [first],
  };
}

/** files (org_id, id, name, csv_name, size, blob_key, header, delimiter, row_count, created_at, csv_entries) */
export const fileInsertParams = (f: UploadedFile): Params => [
  f.orgId,
  f.id,
  f.name,
  f.csvName,
  f.size,
  f.blobKey,
  JSON.stringify(f.header),
  f.delimiter,
  f.rowCount,
  f.createdAt,
  // One-CSV zips keep only the columns, unless the CSV's detected encoding must be kept too.
  f.csvs.length > 1 || f.csvs[0]?.encoding !== undefined ? JSON.stringify(f.csvs) : null,
];
