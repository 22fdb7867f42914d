/**
 * Java SimpleDateFormat patterns (what Zoho's `field_mappings[].format` takes), compiled to a parser that
 * reads as Java's `parse` does, with the departures docs/behaviour.md lists (no roll-over of out-of-range
 * fields, no trailing text, a day name must agree with the date).
 *
 * Letters: y (year), M and L (month: 1–2 letters a number, 3+ a name, short or long), d, E (day name),
 * a (AM/PM), H (0–23), k (1–24), K (0–11), h (1–12), m, s, S (milliseconds, read and dropped), z, Z, X
 * (zone offsets), and quoted literals. As in Java:
 * - a number takes as many digits as it finds ("2/3/1990" reads under `dd/MM/yyyy`), except when the
 *   next letter follows with no literal between (`yyyyMMdd`): then it takes exactly its letters' count;
 * - spaces and tabs before a number or a name are skipped;
 * - `y`/`yy` with exactly two digits picks the century that puts the date within 80 years before and
 *   20 years after the reference time (the job's creation); any other year, and every year under
 *   `yyy`+, is taken literally.
 * A hand-written scanner rather than a regular expression: Java's rules (greedy digits, abutting
 * fields, the century window) do not fit one, and this is the hot path of date columns.
 */

export interface ParsedDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** The offset the text gave ("+05:30"), when the pattern has a zone letter. */
  offset?: string;
}

type Part = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; width: number; abut: boolean };

const MONTHS_LONG = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MONTHS_SHORT = MONTHS_LONG.map((m) => m.slice(0, 3));
const DAYS_LONG = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const DAYS_SHORT = DAYS_LONG.map((d) => d.slice(0, 3));
const AMPM = ['am', 'pm'];

const SUPPORTED = new Set(['y', 'M', 'L', 'd', 'E', 'a', 'H', 'k', 'K', 'h', 'm', 's', 'S', 'z', 'Z', 'X']);
const isNumeric = (letter: string, width: number) =>
  !(letter === 'E' || letter === 'a' || letter === 'z' || letter === 'Z' || letter === 'X') &&
  !((letter === 'M' || letter === 'L') && width >= 3);

function tokenize(pattern: string): Part[] | null {
  const parts: Part[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "'") {
      // '' is a quote; 'text' is literal text, in which '' is a quote too.
      if (pattern[i + 1] === "'") {
        parts.push({ kind: 'literal', text: "'" });
        i += 2;
        continue;
      }
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= pattern.length) return null;
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += pattern[j];
        j++;
      }
      parts.push({ kind: 'literal', text });
      i = j + 1;
    } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
      if (!SUPPORTED.has(ch)) return null;
      let j = i;
      while (pattern[j] === ch) j++;
      parts.push({ kind: 'field', letter: ch, width: j - i, abut: false });
      i = j;
    } else {
      parts.push({ kind: 'literal', text: ch });
      i++;
    }
  }
  // A number directly followed by another number reads exactly its letters' count (Java's "obeyCount").
  for (let k = 0; k + 1 < parts.length; k++) {
    const a = parts[k]!;
    const b = parts[k + 1]!;
    if (a.kind === 'field' && b.kind === 'field' && isNumeric(a.letter, a.width) && isNumeric(b.letter, b.width)) {
      a.abut = true;
    }
  }
  return parts;
}

export type DateParser = (text: string) => ParsedDateTime | null;

/**
 * Compiles a pattern; returns null when the pattern is not one we understand (INVALID_FORMAT).
 * `reference` is the time the century window of two-digit years is centred on (Java: when the format
 * was made); the job's creation time, so a resumed job reads the same dates.
 */
export function compileDatePattern(pattern: string, reference: ParsedDateTime = DEFAULT_REFERENCE): DateParser | null {
  const parts = tokenize(pattern);
  if (!parts || !parts.some((p) => p.kind === 'field')) return null;
  const start = { ...reference, year: reference.year - 80 };
  return (input) => parseWith(parts, input.trim(), start);
}

const DEFAULT_REFERENCE: ParsedDateTime = { year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0 };

/** The calendar time of `ms` at a UTC offset in minutes: a job's creation time as the century window's centre. */
export function referenceTime(ms: number, offsetMinutes: number): ParsedDateTime {
  const d = new Date(ms + offsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

function skipBlanks(text: string, pos: number): number {
  while (pos < text.length && (text.charCodeAt(pos) === 32 || text.charCodeAt(pos) === 9)) pos++;
  return pos;
}

/** The longest of `names` that `text` holds at `pos`, without case: its index, and where it ends. */
function matchName(text: string, pos: number, names: readonly string[]): [number, number] | null {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (n.length > bestLen && text.substr(pos, n.length).toLowerCase() === n) {
      best = i;
      bestLen = n.length;
    }
  }
  return best < 0 ? null : [best, pos + bestLen];
}

/** A zone offset at `pos`: Z, ±hh, ±hhmm, ±hh:mm, GMT±h[:mm], GMT, UTC. */
function matchOffset(text: string, pos: number): [string, number] | null {
  const rest = text.slice(pos);
  const m = /^(?:(Z)|(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?|(GMT|UTC))/i.exec(rest);
  if (!m || m[0] === '') return null;
  if (m[1] !== undefined || m[5] !== undefined) return ['+00:00', pos + m[0].length];
  const h = Number(m[3]);
  const mi = m[4] === undefined ? 0 : Number(m[4]);
  if (h > 23 || mi > 59) return null;
  return [`${m[2]}${pad(h)}:${pad(mi)}`, pos + m[0].length];
}

/** Compares two calendar times field by field. */
function before(a: ParsedDateTime, b: ParsedDateTime): boolean {
  if (a.year !== b.year) return a.year < b.year;
  if (a.month !== b.month) return a.month < b.month;
  if (a.day !== b.day) return a.day < b.day;
  if (a.hour !== b.hour) return a.hour < b.hour;
  if (a.minute !== b.minute) return a.minute < b.minute;
  return a.second < b.second;
}

function parseWith(parts: readonly Part[], text: string, centuryStart: ParsedDateTime): ParsedDateTime | null {
  const out: ParsedDateTime = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  let pos = 0;
  let pm: boolean | null = null;
  let hour12: number | null = null;
  let ambiguousYear = false;
  let weekday = -1;
  for (const part of parts) {
    if (part.kind === 'literal') {
      if (!text.startsWith(part.text, pos)) return null;
      pos += part.text.length;
      continue;
    }
    const { letter, width } = part;
    pos = skipBlanks(text, pos);
    if (!isNumeric(letter, width)) {
      let hit: [number, number] | null;
      if (letter === 'M' || letter === 'L') {
        hit = matchName(text, pos, MONTHS_LONG) ?? matchName(text, pos, MONTHS_SHORT);
        if (hit) out.month = hit[0] + 1;
      } else if (letter === 'E') {
        hit = matchName(text, pos, DAYS_LONG) ?? matchName(text, pos, DAYS_SHORT);
        if (hit) weekday = hit[0];
      } else if (letter === 'a') {
        hit = matchName(text, pos, AMPM);
        if (hit) pm = hit[0] === 1;
      } else {
        const zone = matchOffset(text, pos);
        if (!zone) return null;
        out.offset = zone[0];
        hit = [0, zone[1]];
      }
      if (!hit) return null;
      pos = hit[1];
      continue;
    }
    const from = pos;
    const limit = part.abut ? Math.min(text.length, pos + width) : text.length;
    let n = 0;
    while (pos < limit) {
      const c = text.charCodeAt(pos);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      pos++;
    }
    const digits = pos - from;
    if (digits === 0 || (part.abut && digits !== width) || digits > 9) return null;
    switch (letter) {
      case 'y':
        out.year = n;
        ambiguousYear = width <= 2 && digits === 2;
        break;
      case 'M':
      case 'L':
        out.month = n;
        break;
      case 'd':
        out.day = n;
        break;
      case 'H':
        if (n > 23) return null;
        out.hour = n;
        break;
      case 'k':
        if (n < 1 || n > 24) return null;
        out.hour = n % 24;
        break;
      case 'K':
        if (n > 11) return null;
        hour12 = n;
        break;
      case 'h':
        if (n < 1 || n > 12) return null;
        hour12 = n % 12;
        break;
      case 'm':
        out.minute = n;
        break;
      case 's':
        out.second = n;
        break;
      // 'S': milliseconds, read and dropped (values are stored to the second).
    }
  }
  if (pos !== text.length) return null;
  // AM/PM applies to h and K; with H or k the hour of the day stands alone.
  if (hour12 !== null) out.hour = hour12 + (pm ? 12 : 0);
  if (ambiguousYear) {
    out.year += Math.floor(centuryStart.year / 100) * 100;
    if (out.year < centuryStart.year) out.year += 100;
    if (before(out, centuryStart)) out.year += 100;
  }
  if (!isValidDateTime(out)) return null;
  if (weekday >= 0 && new Date(Date.UTC(out.year, out.month - 1, out.day)).getUTCDay() !== weekday) return null;
  return out;
}

export function isValidDateTime(d: ParsedDateTime): boolean {
  if (d.year < 1 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1) return false;
  if (d.hour > 23 || d.minute > 59 || d.second > 59) return false;
  return d.day <= daysInMonth(d.year, d.month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatDate(d: ParsedDateTime): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

export function formatDateTime(d: ParsedDateTime, offset: string): string {
  return `${formatDate(d)}T${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}${d.offset ?? offset}`;
}
