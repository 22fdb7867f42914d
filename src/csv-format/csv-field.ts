/**
 * One CSV field as bulkwrite writes it (result CSVs, bulk read CSVs): quoted only when it holds a quote,
 * a comma or a line break, with its quotes doubled (RFC 4180).
 */
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
