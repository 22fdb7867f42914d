import { compileDatePattern, formatDate, formatDateTime, type DateParser } from './date-pattern.js';
import type { FieldDef, FieldType } from './modules.js';
import { DEFAULT_NUMBER_FORMAT, exactDouble, parseNumber, roundNumber, type NumberFormat } from './number-format.js';
import type { RecordValue } from './types.js';

/** Zoho's default formats when a mapping gives none: Date MM/dd/yyyy, DateTime MM/dd/yyyy HH:mm:ss; ISO-8601 is accepted too. */
const DEFAULT_DATE = compileDatePattern('MM/dd/yyyy')!;
const ISO_DATE = compileDatePattern('yyyy-MM-dd')!;
const DEFAULT_DATETIME = compileDatePattern('MM/dd/yyyy HH:mm:ss')!;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

// An address holds no space, separator or control character (NUL, C0, DEL, C1): Zoho refuses them, and
// a NUL would be stored as it is.
const ADDRESS_PART = '[^\\s@,;<>()"\\x00-\\x1f\\x7f-\\x9f]+';
const EMAIL = new RegExp(`^${ADDRESS_PART}@${ADDRESS_PART}\\.${ADDRESS_PART}$`);
const PHONE = /^[0-9+()\-.\s/x#*]+$/i;
const WEBSITE = /^(https?:\/\/)?[^\s/$.?#][^\s]*\.[^\s]+$/i;
const DIGITS = /^\d{1,19}$/;

export type NormaliseResult = { ok: true; value: RecordValue } | { ok: false };

export interface ValueContext {
  /** A parser compiled from the mapping's `format`, when it has one. */
  dateParser: DateParser | null;
  /** The org's UTC offset, e.g. "+05:30", for datetimes given without one. */
  offset: string;
  /** How number cells are written: the mapping's `format`, else `#,##0.00`. */
  numberFormat?: NumberFormat;
}

/**
 * Zoho's limits per number type, as its field metadata gives them (`length` in digits, `decimal_place`):
 * integer 9 digits, bigint (long integer) 18, decimal 16 and currency 16 digits including 2 decimal
 * places, percent 5 digits including 2. A field of a custom schema may set its own.
 */
export const NUMBER_LIMITS: Partial<Record<FieldType, { digits: number; places: number }>> = {
  integer: { digits: 9, places: 0 },
  bigint: { digits: 18, places: 0 },
  decimal: { digits: 16, places: 2 },
  currency: { digits: 16, places: 2 },
  percent: { digits: 5, places: 2 },
};

/** A number cell for an integer, bigint, decimal, currency or percent field; see NUMBER_LIMITS. */
function numberValue(field: FieldDef, value: string, fmt: NumberFormat): NormaliseResult {
  let n = parseNumber(value, fmt);
  if (n === null) return bad;
  const limits = NUMBER_LIMITS[field.type]!;
  const digits = field.length ?? limits.digits;
  const places = field.type === 'integer' || field.type === 'bigint' ? 0 : (field.decimalPlaces ?? limits.places);
  if (n.frac.length > places) {
    // A currency rounds to its decimal places (Zoho's "normal" rounding); other types never drop a digit.
    if (field.type !== 'currency') return bad;
    n = roundNumber(n, places);
  }
  if ((n.int === '0' ? 0 : n.int.length) > digits - places) return bad;
  if (field.type === 'bigint') return ok(n.negative ? `-${n.int}` : n.int);
  const v = exactDouble(n);
  if (v === null) return bad;
  if (field.type === 'integer' && Math.abs(v) > 2_147_483_647) return bad;
  if (field.type === 'percent' && (v < 0 || v > 100)) return bad;
  return ok(v);
}

const ok = (value: RecordValue): NormaliseResult => ({ ok: true, value });
const bad: NormaliseResult = { ok: false };

function withinLength(field: FieldDef, value: string): boolean {
  return field.length === undefined || value.length <= field.length;
}

/**
 * Validates and normalises one non-empty CSV cell for a field, as Zoho stores it. A bad value is
 * { ok: false } and becomes INVALID_DATA-<field> in the result row.
 */
export function normaliseValue(field: FieldDef, raw: string, ctx: ValueContext): NormaliseResult {
  const value = raw.trim();
  switch (field.type) {
    case 'picklist':
      if (field.strictPicklist) return strictChoice(field.picklist!, value);
      // Zoho adds an unknown picklist value to the list instead of rejecting the row.
      return withinLength(field, raw) ? ok(value) : bad;
    case 'text':
    case 'textarea':
      return withinLength(field, raw) ? ok(field.type === 'textarea' ? raw : value) : bad;
    case 'multiselectpicklist':
      return ok(
        value
          .split(';')
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      );
    case 'email':
      return EMAIL.test(value) && value.length <= 100 ? ok(value) : bad;
    case 'phone':
      return PHONE.test(value) && withinLength(field, value) ? ok(value) : bad;
    case 'website':
      return WEBSITE.test(value) && withinLength(field, value) ? ok(value) : bad;
    case 'integer':
    case 'bigint':
    case 'decimal':
    case 'currency':
    case 'percent':
      return numberValue(field, value, ctx.numberFormat ?? DEFAULT_NUMBER_FORMAT);
    case 'boolean': {
      const v = value.toLowerCase();
      if (v === 'true' || v === '1' || v === 'yes') return ok(true);
      if (v === 'false' || v === '0' || v === 'no') return ok(false);
      return bad;
    }
    case 'date': {
      const parsed = ctx.dateParser ? ctx.dateParser(value) : (DEFAULT_DATE(value) ?? ISO_DATE(value));
      return parsed ? ok(formatDate(parsed)) : bad;
    }
    case 'datetime': {
      if (ctx.dateParser) {
        const parsed = ctx.dateParser(value);
        return parsed ? ok(formatDateTime(parsed, ctx.offset)) : bad;
      }
      const parsed = DEFAULT_DATETIME(value);
      if (parsed) return ok(formatDateTime(parsed, ctx.offset));
      const iso = ISO_DATETIME.exec(value);
      if (!iso) return bad;
      const [, y, mo, d, h, mi, s, zone] = iso;
      const dt = { year: +y!, month: +mo!, day: +d!, hour: +h!, minute: +mi!, second: s ? +s : 0 };
      const normalZone = !zone
        ? ctx.offset
        : zone === 'Z'
          ? '+00:00'
          : zone.includes(':')
            ? zone
            : `${zone.slice(0, 3)}:${zone.slice(3)}`;
      const checked = ISO_DATE(`${y}-${mo}-${d}`);
      return checked && dt.hour < 24 && dt.minute < 60 && dt.second < 60 ? ok(formatDateTime(dt, normalZone)) : bad;
    }
    case 'id':
    case 'lookup':
    case 'layout':
      return DIGITS.test(value) ? ok(value) : bad;
    case 'ownerlookup':
      // An owner is given by user id or by email; the worker resolves it against the org's users.
      return DIGITS.test(value) || EMAIL.test(value) ? ok(value) : bad;
    case 'multiselectlookup':
    case 'multiuserlookup':
    case 'autonumber':
    case 'formula':
    case 'fileupload':
    case 'subform':
      // Not writable by bulk write; a mapping to one is refused when the job is created.
      return bad;
  }
}

/** A fixed choice (`$se_module`): matched without case, stored as the list spells it. */
function strictChoice(choices: readonly string[], value: string): NormaliseResult {
  const lower = value.toLowerCase();
  for (const c of choices) if (c.toLowerCase() === lower) return ok(c);
  return bad;
}

/** Unique keys compare without case or surrounding space, as Zoho's duplicate check does for emails and names. */
export function uniqueKey(value: RecordValue): string | null {
  if (value === null || value === undefined || value === '') return null;
  return String(value).trim().toLowerCase();
}

/**
 * A copy of `s` that shares no memory with the text it was cut from. Parsed CSV cells are slices of a
 * whole decoded chunk, so keeping one in a job-long set would keep that whole chunk alive.
 */
export function detachedString(s: string): string {
  return (' ' + s).slice(1);
}
