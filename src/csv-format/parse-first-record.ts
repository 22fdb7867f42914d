import Papa from 'papaparse';
import type { LineEnd } from './record-ends.js';

/**
 * The cells of a file's first record (its header) as the job reader's papaparse calls read them: with the
 * file's line end, written after the record too where the file has one there (papaparse reads spaces
 * between a closing quote and a line end as padding, and keeps them before the end of the text).
 */
export function parseFirstRecord(
  record: string,
  lineEnd: LineEnd | null,
  /** False when the record is the file's last line, with no line end after it. */
  closed: boolean,
  delimiter: string,
): string[] {
  const newline = lineEnd ?? undefined;
  const text = record + (closed ? (newline ?? '') : '');
  return Papa.parse<string[]>(text, { delimiter, newline }).data[0] ?? [];
}
