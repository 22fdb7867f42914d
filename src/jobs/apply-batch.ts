import {
  addRowError,
  formatErrors,
  lookupMatch,
  mapRow,
  uniqueValuesOf,
  type MappedRow,
  type PlanColumn,
  type RowPlan,
} from '../domain/row-plan.js';
import { uniqueKey } from '../domain/field-values.js';
import type { ModuleDef } from '../domain/modules.js';
import type { Org, RecordData, RowResult } from '../domain/types.js';
import type { ChunkCommit, InsertRecord, Storage, UpdateRecord } from '../storage/storage.js';
import type { RecordIds } from './id-allocator.js';
import type { IdSet } from './id-set.js';

const NO_KEYS: Array<[string, string]> = [];

export interface BatchRow {
  rowNo: number;
  cells: string[];
  /** The row was read from bytes not valid in the job's encoding: its cells holding U+FFFD are refused. */
  undecodable?: boolean;
  /** A subform or line-item row past its parent's 200th (parent-child.ts): refused with this field. */
  overParentLimit?: string;
}

/** What a batch changes: the part of a chunk commit that the decisions produce. */
export type BatchOutcome = Pick<ChunkCommit, 'inserts' | 'updates' | 'results' | 'added' | 'updated' | 'skipped'>;

/** Per-job memory of resolved users, so a file full of the same Owner asks once. */
export type UserCache = Map<string, string | null>;

async function resolveLookups(storage: Storage, org: Org, rows: MappedRow[], users: UserCache): Promise<void> {
  // Lookups grouped by column, target module and match field, so each group is one batched storage call.
  const groups = new Map<PlanColumn, Map<string, { target: ModuleDef | null; findBy: string | null; refs: Ref[] }>>();
  for (const row of rows) {
    if (row.errors.size > 0) continue;
    for (const ref of row.lookups) {
      let byTarget = groups.get(ref.column);
      if (!byTarget) groups.set(ref.column, (byTarget = new Map()));
      const key = `${ref.target?.apiName ?? ''}\u0000${ref.findBy ?? 'id'}`;
      const group = byTarget.get(key);
      if (group) group.refs.push({ row, value: ref.value });
      else byTarget.set(key, { target: ref.target, findBy: ref.findBy, refs: [{ row, value: ref.value }] });
    }
  }
  for (const [col, byTarget] of groups) {
    const name = col.field.apiName;
    for (const { target, findBy, refs } of byTarget.values()) {
      if (col.field.type === 'ownerlookup') {
        for (const { row, value: v } of refs) {
          if (!users.has(v)) {
            const user = await storage.orgs.getUser(org.id, v.includes('@') ? { email: v } : { id: v });
            users.set(v, user?.id ?? null);
          }
          const id = users.get(v);
          if (id) row.values[name] = id;
          else addRowError(row, 'INVALID_DATA', name);
        }
        continue;
      }
      if (!target) {
        for (const { row } of refs) addRowError(row, 'INVALID_DATA', name);
        continue;
      }
      const found = await findLookupIds(
        storage,
        org,
        target,
        findBy,
        refs.map((r) => r.value),
      );
      for (const { row, value } of refs) {
        const id = found(value);
        if (id) row.values[name] = id;
        else addRowError(row, 'INVALID_DATA', name);
      }
    }
  }
}

interface Ref {
  row: MappedRow;
  value: string;
}

/**
 * The records lookup values point at, by id, unique key or display text. Several records with one
 * display text: the first (created first) wins, as Zoho's import help says of names shared by several
 * records ("the system will only overwrite the first matching account").
 */
async function findLookupIds(
  storage: Storage,
  org: Org,
  target: ModuleDef,
  findBy: string | null,
  values: string[],
): Promise<(value: string) => string | undefined> {
  const match = lookupMatch(target, findBy);
  switch (match.by) {
    case 'id': {
      const records = await storage.records.byIds(org.id, target.apiName, values);
      return (v) => (records.has(v) ? v : undefined);
    }
    case 'key': {
      const keys = values.map((v) => uniqueKey(v) ?? '');
      const found = await storage.records.idsByKey(org.id, target.apiName, match.field, keys);
      return (v) => found.get(uniqueKey(v) ?? '');
    }
    case 'text': {
      const found = await storage.records.firstIdsByText(org.id, target.apiName, match.fields, values);
      return (v) => found.get(v);
    }
  }
}

interface Touched {
  id: string;
  isNew: boolean;
  original: RecordData;
  current: RecordData;
  /** The unique keys of `current` when they are known without recomputing (a record one row created). */
  keys: Array<[string, string]> | null;
}

/**
 * Decides every row of a batch (insert, update or skip) against the stored records and the rows
 * before it in the file, and returns what to commit. It writes nothing itself.
 */
export async function applyBatch(
  storage: Storage,
  org: Org,
  plan: RowPlan,
  batch: BatchRow[],
  ids: RecordIds,
  users: UserCache,
  /**
   * Update/upsert: what rows already applied by this job (earlier batches included) matched. The first
   * row with a find_by value wins; a later one is DUPLICATE_DATA-<find_by field>. For find_by id these
   * are the id cells; for a unique field, the ids of the records the rows wrote: a value always leads
   * to the record holding it, and ids are far smaller to keep for a million rows than the values.
   */
  matched: IdSet | null = null,
): Promise<BatchOutcome> {
  const moduleName = plan.module.apiName;
  // Subform rows have no owner of their own.
  const hasOwner = plan.module.fields.has('Owner');
  const rows = batch.map((r) => {
    const row = mapRow(plan, r.rowNo, r.cells, r.undecodable === true);
    if (r.overParentLimit !== undefined) addRowError(row, 'LIMIT_EXCEEDED', r.overParentLimit);
    return row;
  });
  await resolveLookups(storage, org, rows, users);
  // Each row's unique keys, computed once (after lookups, which may fill values in).
  // On insert a row with other errors is still checked for duplicates, so its ERRORS has every problem
  // at once (Zoho's example: MANDATORY_NOT_FOUND-Company,Last_Name:DUPLICATE_DATA-Email).
  const inserting = plan.operation === 'insert';
  const rowKeys = rows.map((row) => (row.errors.size > 0 && !inserting ? NO_KEYS : uniqueValuesOf(plan, row.values)));

  // Who holds each unique key now: stored owners, then changes made by earlier rows of this batch.
  const wanted = new Map<string, string[]>();
  const want = (field: string, key: string) => {
    const list = wanted.get(field);
    if (list) list.push(key);
    else wanted.set(field, [key]);
  };
  const findByField = plan.findBy && plan.findBy !== 'id' ? plan.findBy : null;
  const uniqueFields = [...plan.module.fields.values()].filter((f) => f.unique).map((f) => f.apiName);
  // A created record's keys are its row's keys when every unique field of the module is a mapped column.
  const keysKnown = uniqueFields.every((f) => plan.uniqueColumns.some((c) => c.field.apiName === f));
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (const [field, key] of rowKeys[i]!) want(field, key);
    if (row.errors.size > 0) continue;
    if (findByField && row.matchKey) want(findByField, row.matchKey);
  }
  // Owners by field, then by key: null once a record of this batch let the key go.
  const owners = new Map<string, Map<string, string | null>>();
  for (const [field, keys] of wanted) {
    owners.set(field, (await storage.records.idsByKey(org.id, moduleName, field, keys)) as Map<string, string | null>);
  }
  const ownersOf = (field: string) => {
    let m = owners.get(field);
    if (!m) owners.set(field, (m = new Map()));
    return m;
  };
  const ownerOf = (field: string, key: string) => owners.get(field)?.get(key) ?? null;

  // Records matched by find_by, loaded once for the merge.
  const matchIds = new Set<string>();
  for (const row of rows) {
    if (row.errors.size > 0 || !row.matchKey || !plan.findBy) continue;
    const id = plan.findBy === 'id' ? row.matchKey : ownerOf(plan.findBy, row.matchKey);
    if (id) matchIds.add(id);
  }
  const stored = matchIds.size > 0 ? await storage.records.byIds(org.id, moduleName, [...matchIds]) : new Map();

  const fresh = await ids.take(rows.filter((r) => r.errors.size === 0 && plan.operation !== 'update').length);
  let freshAt = 0;
  const touched = new Map<string, Touched>();
  const results: RowResult[] = [];
  let added = 0;
  let updated = 0;
  let skipped = 0;
  const skip = (row: MappedRow) => {
    skipped++;
    results.push({ rowNo: row.rowNo, status: 'SKIPPED', recordId: null, errors: formatErrors(row.errors) });
  };

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.errors.size > 0) {
      // It writes nothing and claims no key, but a key another record (or an earlier row) holds is named.
      for (const [field, key] of rowKeys[i]!)
        if (ownerOf(field, key) !== null) addRowError(row, 'DUPLICATE_DATA', field);
      skip(row);
      continue;
    }
    let matchId: string | null = null;
    if (plan.findBy && row.matchKey) {
      if (plan.findBy === 'id') {
        matchId = touched.has(row.matchKey) || stored.has(row.matchKey) ? row.matchKey : null;
      } else matchId = ownerOf(plan.findBy, row.matchKey);
    }
    const seen = plan.findBy === 'id' ? row.matchKey : matchId;
    if (matched !== null && seen !== null && matched.has(seen)) {
      addRowError(row, 'DUPLICATE_DATA', plan.findBy!);
      skip(row);
      continue;
    }

    let target: Touched | null = null;
    if (plan.operation === 'insert') {
      if (matchId) {
        addRowError(row, 'DUPLICATE_DATA', plan.findBy!);
        skip(row);
        continue;
      }
    } else if (matchId) {
      target = touched.get(matchId) ?? null;
      if (!target) {
        const rec = stored.get(matchId);
        if (rec) target = { id: matchId, isNew: false, original: rec.data, current: rec.data, keys: null };
      }
    }
    if (!target && plan.operation === 'update') {
      addRowError(row, 'RESOURCE_NOT_FOUND', plan.findBy!);
      skip(row);
      continue;
    }
    if (!target && row.emptyMandatory.length > 0) {
      // An upsert row that inserts needs every mandatory field, whatever ignore_empty says.
      for (const field of row.emptyMandatory) addRowError(row, 'MANDATORY_NOT_FOUND', field);
      skip(row);
      continue;
    }

    const recordId = target ? target.id : fresh[freshAt]!;
    const keys = rowKeys[i]!;
    let clash = false;
    for (const [field, key] of keys) {
      const owner = ownerOf(field, key);
      if (owner !== null && owner !== recordId) {
        addRowError(row, 'DUPLICATE_DATA', field);
        clash = true;
      }
    }
    if (clash) {
      skip(row);
      continue;
    }

    const previous: RecordData = target ? target.current : {};
    if (!target) {
      freshAt++;
      // The row's values are the record's data as they are unless one clears a field (null): then a copy
      // without them. The mapped row is not read again, so its object is taken rather than copied.
      const values = row.values;
      let data: RecordData = values;
      for (const k in values) {
        if (values[k] !== null) continue;
        data = {};
        for (const f in values) {
          const v = values[f]!;
          if (v !== null) data[f] = v;
        }
        break;
      }
      if (data.Owner === undefined && hasOwner) data.Owner = org.user.id;
      target = { id: recordId, isNew: true, original: {}, current: data, keys: keysKnown ? keys : null };
      touched.set(recordId, target);
      added++;
      results.push({ rowNo: row.rowNo, status: 'ADDED', recordId, errors: null });
    } else {
      const data: RecordData = { ...target.current };
      const values = row.values;
      for (const k in values) {
        const v = values[k]!;
        if (v === null) delete data[k];
        else data[k] = v;
      }
      target.current = data;
      target.keys = null;
      touched.set(recordId, target);
      updated++;
      results.push({ rowNo: row.rowNo, status: 'UPDATED', recordId, errors: null });
    }
    if (matched !== null && row.matchKey !== null) matched.add(plan.findBy === 'id' ? row.matchKey : recordId);
    // Move unique-key ownership to this record, freeing the key it held before.
    for (const col of plan.uniqueColumns) {
      const field = col.field.apiName;
      const before = uniqueKey(previous[field] ?? null);
      const after = uniqueKey(target.current[field] ?? null);
      if (before === after) continue;
      const byKey = ownersOf(field);
      if (before !== null) {
        const owner = byKey.get(before);
        if (owner === undefined || owner === recordId) byKey.set(before, null);
      }
      if (after !== null) byKey.set(after, recordId);
    }
  }

  const inserts: InsertRecord[] = [];
  const updates: UpdateRecord[] = [];
  const keysOf = (data: RecordData): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    for (const field of uniqueFields) {
      const k = uniqueKey(data[field] ?? null);
      if (k !== null) out.push([field, k]);
    }
    return out;
  };
  for (const t of touched.values()) {
    if (t.isNew) {
      inserts.push({ id: t.id, data: t.current, keys: t.keys ?? keysOf(t.current) });
      continue;
    }
    const before = keysOf(t.original);
    const after = keysOf(t.current);
    const same = (a: [string, string], b: [string, string]) => a[0] === b[0] && a[1] === b[1];
    updates.push({
      id: t.id,
      data: t.current,
      removeKeys: before.filter((k) => !after.some((a) => same(a, k))),
      addKeys: after.filter((k) => !before.some((b) => same(b, k))),
    });
  }
  return { inserts, updates, results, added, updated, skipped };
}
