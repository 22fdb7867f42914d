import Papa from 'papaparse';
import { RecordBoundary } from '../csv-format/record-ends.js';

/**
 * Parses CSV text that arrives in chunks into rows, a slice of whole records at a time: each chunk is cut
 * after its last record end (csv-format/record-ends.ts) and what comes before the cut is parsed in one synchronous
 * papaparse call, several times faster than a parser stream. Papaparse is told the line end the cut
 * found, so the two read the records alike; blank lines give no row. Memory is bounded by the chunk
 * size and the longest record, not by the text.
 */
export class CsvRowParser {
  private readonly boundary = new RecordBoundary();
  private pending = '';

  constructor(private readonly delimiter: string) {}

  /** The rows of the records that end in `text` (with what came before it), maybe none. */
  push(text: string): string[][] {
    if (text.length === 0) return [];
    const cut = this.boundary.scan(text);
    if (cut === 0) {
      this.pending += text;
      return [];
    }
    const rows = this.parse(this.pending + text.slice(0, cut));
    this.pending = text.slice(cut);
    return rows;
  }

  /** The rows of the records left after the last text, `tail` included. */
  end(tail = ''): string[][] {
    this.boundary.scan(tail);
    this.boundary.end();
    const rest = this.pending + tail;
    this.pending = '';
    return rest.length > 0 ? this.parse(rest) : [];
  }

  private parse(text: string): string[][] {
    const newline = this.boundary.lineEnd ?? undefined;
    return Papa.parse<string[]>(text, { delimiter: this.delimiter, newline, skipEmptyLines: true }).data;
  }
}
