/**
 * E-mail fields that are not unique (so have no key column) but are indexed by a partial expression
 * index on their module's records table (made with the table, core/record-tables.ts; migration 090
 * made it on the single `records` table before), so that `search?email=` answers without reading the
 * module. The index key is the value with the Kelvin sign (U+212A) turned into `k` and A–Z lower-cased:
 * for a value whose JavaScript lower case is plain ASCII that is exactly its lower case (U+212A is the
 * one character outside ASCII that lower-cases into it), so every record the search's own comparison
 * (`toLowerCase()` on both sides) would match is found; values that are not plain ASCII are not looked up.
 */
export const INDEXED_EMAIL_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['Leads', ['Secondary_Email']],
  ['Contacts', ['Secondary_Email']],
]);

/** The index key to look `value` up by, or null when the index cannot answer for it (not plain ASCII). */
export function emailIndexKey(value: string): string | null {
  const key = value.toLowerCase();
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return null;
  return key;
}
