import { csvField } from '../csv-format/csv-field.js';
import type { FieldDef, ModuleDef } from './modules.js';
import { numberOf } from './read-request.js';
import { toZohoTime } from './time.js';
import type { Org, ReadComparator, ReadCondition, ReadCriteria, RecordValue, StoredRecord } from './types.js';

/**
 * What a bulk read job does with each stored record: whether it matches the criteria, and the CSV cells
 * it becomes, as Zoho renders them in a bulk read CSV (docs/bulk-read.md#the-csv). Pure: the worker
 * streams records through it.
 */

/** A stored record's value of a field as the read sees it: system fields come from the record itself. */
export function readValue(module: ModuleDef, field: FieldDef, record: StoredRecord, org: Org): RecordValue {
  switch (field.apiName) {
    case 'id':
      return record.id;
    case 'Created_Time':
      return toZohoTime(record.createdAt, org.timeZone);
    case 'Modified_Time':
      return toZohoTime(record.modifiedAt, org.timeZone);
    case 'Created_By':
    case 'Modified_By':
      // bulkwrite does not track the writing user per record: the org's primary user wrote it.
      return module.fields.get('Owner') ? org.user.id : null;
    case 'Full_Name':
      if (module.displayField === 'Full_Name') {
        const parts = [record.data.First_Name, record.data.Last_Name].filter(
          (v) => v !== undefined && v !== null && v !== '',
        );
        return parts.length ? parts.join(' ') : null;
      }
      break;
    default:
      break;
  }
  const v = record.data[field.apiName];
  if (v === undefined) return null;
  if (field.type === 'datetime' && typeof v === 'string') {
    const at = Date.parse(v);
    return Number.isNaN(at) ? v : toZohoTime(at, org.timeZone);
  }
  return v;
}

/** One CSV cell: dates as stored (yyyy-MM-dd), datetimes in the org's offset, booleans true/false, lists `;`-joined. */
export function csvCell(field: FieldDef, value: RecordValue): string {
  if (value === null || value === undefined) return field.type === 'boolean' ? 'false' : '';
  if (Array.isArray(value)) return value.join(';');
  return String(value);
}

/**
 * The CSV line (`Id`, then `columns`, ending in CRLF) of each record, exactly as `csvCell(readValue(…))`
 * quoted by `csvField` would make it, but built for a stream of records: each column's rendering is
 * chosen once, a line is one string built in place (no cells array), a column that does not depend on
 * the record is rendered once, and a time is rendered once per second (records written by one chunk
 * share their times). Bulk read jobs render every record of a page through it.
 */
export function csvLineRenderer(
  module: ModuleDef,
  columns: readonly FieldDef[],
  org: Org,
): (record: StoredRecord) => string {
  const cells = columns.map((f) => cellRenderer(module, f, org));
  const n = cells.length;
  return (record) => {
    let line = csvField(record.id);
    for (let i = 0; i < n; i++) line += `,${cells[i]!(record)}`;
    return `${line}\r\n`;
  };
}

/** `toZohoTime` in one time zone, remembering the last second it rendered. */
function timeRenderer(timeZone: string): (epochMs: number) => string {
  let second = NaN;
  let text = '';
  return (epochMs) => {
    const s = Math.floor(epochMs / 1000);
    if (s !== second) {
      text = toZohoTime(epochMs, timeZone);
      second = s;
    }
    return text;
  };
}

function cellRenderer(module: ModuleDef, field: FieldDef, org: Org): (record: StoredRecord) => string {
  const generic = (record: StoredRecord) => csvField(csvCell(field, readValue(module, field, record, org)));
  const empty = csvCell(field, null);
  const name = field.apiName;
  switch (name) {
    case 'id':
      return (record) => csvField(record.id);
    case 'Created_Time': {
      const time = timeRenderer(org.timeZone);
      return (record) => csvField(time(record.createdAt));
    }
    case 'Modified_Time': {
      const time = timeRenderer(org.timeZone);
      return (record) => csvField(time(record.modifiedAt));
    }
    case 'Created_By':
    case 'Modified_By': {
      const text = csvField(csvCell(field, module.fields.get('Owner') ? org.user.id : null));
      return () => text;
    }
    case 'Full_Name':
      if (module.displayField === 'Full_Name') return generic;
      break;
    default:
      break;
  }
  if (field.type === 'datetime') {
    // Stored as written (any offset): shown in the org's; the last one is remembered.
    let stored: string | null = null;
    let shown = '';
    return (record) => {
      const v = record.data[name];
      if (typeof v !== 'string') return v === undefined || v === null ? empty : generic(record);
      if (v !== stored) {
        shown = csvField(csvCell(field, readValue(module, field, record, org)));
        stored = v;
      }
      return shown;
    };
  }
  return (record) => {
    const v = record.data[name];
    if (v === undefined || v === null) return empty;
    if (typeof v === 'string') return csvField(v);
    return csvField(csvCell(field, v));
  };
}

/** A predicate over stored records for one criteria tree (null: every record). */
export function recordMatcher(
  module: ModuleDef,
  criteria: ReadCriteria | null,
  org: Org,
): (record: StoredRecord) => boolean {
  if (criteria === null) return () => true;
  return compile(module, criteria, org);
}

function compile(module: ModuleDef, c: ReadCriteria, org: Org): (record: StoredRecord) => boolean {
  if ('group' in c) {
    const parts = c.group.map((g) => compile(module, g, org));
    return c.groupOperator === 'and' ? (r) => parts.every((p) => p(r)) : (r) => parts.some((p) => p(r));
  }
  const field = module.fields.get(c.apiName)!;
  const test = conditionTest(field, c);
  return (r) => test(readValue(module, field, r, org));
}

const NEGATION: Partial<Record<ReadComparator, ReadComparator>> = {
  not_equal: 'equal',
  not_in: 'in',
  not_between: 'between',
  not_contains: 'contains',
};

/**
 * A test of one value. Each negative comparator is exactly the complement of its positive one, so an
 * empty value matches not_equal, not_in, not_between and not_contains, and none of the others.
 */
function conditionTest(field: FieldDef, c: ReadCondition): (v: RecordValue) => boolean {
  const positive = NEGATION[c.comparator];
  if (positive) {
    const test = conditionTest(field, { ...c, comparator: positive });
    return (v) => !test(v);
  }
  const given = Array.isArray(c.value) ? c.value : [c.value];
  switch (field.type) {
    case 'integer':
    case 'bigint':
    case 'decimal':
    case 'currency':
    case 'percent':
      return ordered(
        c.comparator,
        given.map((g) => numberOf(g)!),
        (v) => (typeof v === 'number' || typeof v === 'string' ? numberOf(v) : null),
      );
    case 'date':
      return ordered(c.comparator, given.map(String), (v) => (typeof v === 'string' && v !== '' ? v : null));
    case 'datetime':
      // Compared to the second, as instants: the offsets written need not be the same.
      return ordered(
        c.comparator,
        given.map((g) => Math.floor(Date.parse(String(g)) / 1000)),
        (v) => (typeof v === 'string' && v !== '' ? Math.floor(Date.parse(v) / 1000) : null),
      );
    case 'boolean': {
      const want = given[0] === true || given[0] === 'true';
      return (v) => (v === true) === want;
    }
    case 'id':
    case 'lookup':
    case 'ownerlookup': {
      const ids = new Set(given.map(String));
      return (v) => v !== null && ids.has(String(v));
    }
    case 'multiselectpicklist':
      return multiTest(
        c.comparator,
        given.map((g) => String(g).toLowerCase()),
      );
    default:
      return textTest(
        c.comparator,
        given.map((g) => String(g).toLowerCase()),
      );
  }
}

function ordered<T extends number | string>(
  op: ReadComparator,
  given: T[],
  read: (v: RecordValue) => T | null,
): (v: RecordValue) => boolean {
  const [a, b] = given as [T, T];
  const cmp: Partial<Record<ReadComparator, (x: T) => boolean>> = {
    equal: (x) => x === a,
    in: (x) => given.includes(x),
    less_than: (x) => x < a,
    less_equal: (x) => x <= a,
    greater_than: (x) => x > a,
    greater_equal: (x) => x >= a,
    between: (x) => x >= a && x <= b,
  };
  const test = cmp[op]!;
  return (v) => {
    const x = read(v);
    return x !== null && !(typeof x === 'number' && Number.isNaN(x)) && test(x);
  };
}

/** Text compares without case, as Zoho's criteria do. */
function textTest(op: ReadComparator, given: string[]): (v: RecordValue) => boolean {
  const [a] = given as [string];
  const cmp: Partial<Record<ReadComparator, (x: string) => boolean>> = {
    equal: (x) => x === a,
    in: (x) => given.includes(x),
    contains: (x) => x.includes(a),
    starts_with: (x) => x.startsWith(a),
    ends_with: (x) => x.endsWith(a),
  };
  const test = cmp[op]!;
  return (v) => v !== null && v !== '' && !Array.isArray(v) && test(String(v).toLowerCase());
}

/** equal: the same set of values selected; in: any of them selected; contains: a selected value holds the text. */
function multiTest(op: ReadComparator, given: string[]): (v: RecordValue) => boolean {
  const want = new Set(given);
  return (v) => {
    const have = Array.isArray(v) ? v.map((x) => x.toLowerCase()) : [];
    if (op === 'equal') return have.length > 0 && new Set(have).size === want.size && have.every((x) => want.has(x));
    if (op === 'in') return have.some((x) => want.has(x));
    return have.some((x) => x.includes(given[0]!));
  };
}
