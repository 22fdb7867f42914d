import Papa from 'papaparse';
import yauzl from 'yauzl';
import { RESULT_COLUMNS, type RowStatus } from './schema.js';

/** One error of a result row: `MANDATORY_NOT_FOUND-Company,Last_Name` → code and columns. */
export interface RowError {
  code: string;
  columns: string[];
}

export interface ResultRow {
  /** 1-based number of the data row in the uploaded CSV (the header is not counted). */
  row: number;
  status: RowStatus;
  recordId: string | null;
  errors: RowError[];
  /** The ERRORS cell as Zoho wrote it. */
  errorsText: string;
  /** The uploaded row's values, by its header. */
  values: Record<string, string>;
}

export interface ResultFile {
  /** The CSV's name inside the result zip ("Leads-leads.csv"). */
  csvName: string;
  /** The uploaded file's columns the result echoes (without STATUS, RECORD_ID, ERRORS). */
  columns: string[];
  rows: ResultRow[];
  /** The result CSV itself, as it was in the zip. */
  csv: Buffer;
}

/**
 * Splits an ERRORS cell: groups for different codes are joined with ":", columns of one code with ","
 * (spec §6: `MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email`).
 */
export function parseRowErrors(text: string): RowError[] {
  if (text.trim() === '') return [];
  return text.split(':').map((group) => {
    const m = /^\s*([A-Z][A-Z0-9_]*)(?:-(.*))?$/.exec(group);
    if (!m) return { code: group.trim(), columns: [] };
    const columns = (m[2] ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    return { code: m[1]!, columns };
  });
}

/** Every CSV of a result zip, in zip order: one per resource (the parent first in a parent/child job). */
export function unzipResults(zip: Buffer): Promise<Array<{ csvName: string; csv: Buffer }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, file) => {
      if (err || !file) return reject(err ?? new Error('not a zip'));
      const found: Array<{ csvName: string; csv: Buffer }> = [];
      file.on('error', reject);
      file.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/') || !/\.csv$/i.test(entry.fileName)) return file.readEntry();
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('unreadable zip entry'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            found.push({ csvName: entry.fileName, csv: Buffer.concat(chunks) });
            file.readEntry();
          });
        });
      });
      file.on('end', () => {
        if (found.length === 0) reject(new Error('the result zip holds no CSV'));
        else resolve(found);
      });
      file.readEntry();
    });
  });
}

/** The first CSV of a result zip (a one-resource job's only one; a parent/child job's parent). */
export async function unzipResult(zip: Buffer): Promise<{ csvName: string; csv: Buffer }> {
  return (await unzipResults(zip))[0]!;
}

/** Parses a result CSV: the uploaded columns, then STATUS, RECORD_ID and ERRORS. */
export function parseResultCsv(csvName: string, csv: Buffer, encoding = 'utf-8'): ResultFile {
  const text = new TextDecoder(encoding).decode(csv).replace(/^\uFEFF/, '');
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
  const [head = [], ...body] = parsed.data;
  const at = (name: string) => head.findIndex((h) => h.trim().toUpperCase() === name);
  const [statusAt, idAt, errorsAt] = RESULT_COLUMNS.map(at) as [number, number, number];
  const resultAt = new Set([statusAt, idAt, errorsAt]);
  const inputAt = head.map((_, i) => i).filter((i) => !resultAt.has(i));
  const rows = body.map((cells, i): ResultRow => {
    const values: Record<string, string> = {};
    for (const c of inputAt) values[head[c]!] = cells[c] ?? '';
    const errorsText = errorsAt >= 0 ? (cells[errorsAt] ?? '') : '';
    const recordId = idAt >= 0 ? cells[idAt] || null : null;
    return {
      row: i + 1,
      status: (statusAt >= 0 ? cells[statusAt] : undefined) ?? '',
      recordId,
      errors: parseRowErrors(errorsText),
      errorsText,
      values,
    };
  });
  return { csvName, columns: inputAt.map((i) => head[i]!), rows, csv };
}
