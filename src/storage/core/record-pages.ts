import { setBounded } from '../bounded-map.js';

/**
 * Listing a module's records from any offset without stepping over every record before it.
 *
 * `LIMIT … OFFSET n` walks n entries of the module's index, so page 5,000 of a million records read a
 * million entries (~100 ms and more), and reading a module page by page was quadratic. Instead the store
 * keeps, per (org, module), the id of every SPAN-th record in id order (its *marks*); a page at offset
 * n starts after the mark just below n and walks fewer than SPAN entries (`id > mark … OFFSET r`).
 *
 * Records are never deleted, so a module only changes by records added, and `record_counts` (kept by the
 * chunk commits) says when that happened. Marks are kept while the count is unchanged. When it grew, the
 * records after the last mark are counted: if every new record is among them (ids grow with time, so
 * a single writer only ever appends), the marks hold and are extended from the last one; otherwise (two
 * workers wrote interleaved id blocks) they are made again from the start. Making them reads the
 * module's index once, in one statement (~1 µs per record); the memory is one id per SPAN records.
 */

/** Records between two marks: a page reads at most this many index entries before its first record. */
export const MARK_SPAN = 1000;

/** How many modules' marks one store keeps (a million records' marks are ~1,000 short strings). */
const MAX_MODULES = 256;

export interface RecordPageReads<R> {
  count(orgId: string, module: string): Promise<number>;
  /** How many records have an id above `after`. */
  countAfter(orgId: string, module: string, after: string): Promise<number>;
  /** Of the records with an id above `after`, in id order, the ids of the span-th, 2·span-th, … */
  marksAfter(orgId: string, module: string, after: string, span: number): Promise<string[]>;
  /** `limit` records with an id above `after` (every record when null), in id order, skipping `offset`. */
  listAfter(orgId: string, module: string, after: string | null, limit: number, offset: number): Promise<R[]>;
}

interface Marks {
  /** The module's record count the marks were checked against. */
  count: number;
  /** ids[k]: the id of the record at position (k + 1) · MARK_SPAN - 1 (0-based), in id order. */
  ids: readonly string[];
}

/** Below every record id (ids are 19-digit decimal numbers, compared as numbers or as "C" text). */
const BEFORE_ALL = '0';

export function recordPages<R>(reads: RecordPageReads<R>): {
  list(orgId: string, module: string, offset: number, limit: number): Promise<R[]>;
} {
  const cache = new Map<string, Marks>();

  async function marksOf(orgId: string, module: string): Promise<readonly string[]> {
    const key = `${orgId}\u0000${module}`;
    const count = await reads.count(orgId, module);
    const known = cache.get(key);
    if (known !== undefined && known.count === count) return known.ids;
    let kept: readonly string[] = [];
    const last = known?.ids.at(-1);
    if (known !== undefined && last !== undefined) {
      const after = await reads.countAfter(orgId, module, last);
      // Every record added since is after the last mark: the marks still stand at their positions.
      if (after === count - known.ids.length * MARK_SPAN) kept = known.ids;
    }
    const more = await reads.marksAfter(orgId, module, kept.at(-1) ?? BEFORE_ALL, MARK_SPAN);
    const ids = more.length === 0 ? kept : [...kept, ...more];
    setBounded(cache, MAX_MODULES, key, { count, ids });
    return ids;
  }

  return {
    async list(orgId, module, offset, limit) {
      if (offset < MARK_SPAN) return reads.listAfter(orgId, module, null, limit, offset);
      const ids = await marksOf(orgId, module);
      if (ids.length === 0) return reads.listAfter(orgId, module, null, limit, offset);
      // The mark at or just below position offset - 1: the page starts fewer than MARK_SPAN records after
      // it, or (past the last mark) within the module's last, unmarked records.
      const k = Math.min(Math.floor(offset / MARK_SPAN), ids.length) - 1;
      return reads.listAfter(orgId, module, ids[k]!, limit, offset - (k + 1) * MARK_SPAN);
    },
  };
}
