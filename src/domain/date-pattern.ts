/**
 * Java SimpleDateFormat-style patterns (what Zoho's `field_mappings[].format` takes), compiled to a
 * parser. Supported letters: yyyy yy MM M MMM dd d HH H hh h mm ss a, and quoted literals.
 */

export interface ParsedDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

type Part = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; width: number };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const SUPPORTED = new Set(['y', 'M', 'd', 'H', 'h', 'm', 's', 'a']);

function tokenize(pattern: string): Part[] | null {
  const parts: Part[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return null;
      parts.push({ kind: 'literal', text: end === i + 1 ? "'" : pattern.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z]/.test(ch)) {
      if (!SUPPORTED.has(ch)) return null;
      let j = i;
      while (pattern[j] === ch) j++;
      parts.push({ kind: 'field', letter: ch, width: j - i });
      i = j;
    } else {
      parts.push({ kind: 'literal', text: ch });
      i++;
    }
  }
  return parts;
}

export type DateParser = (text: string) => ParsedDateTime | null;

/** Compiles a pattern; returns null when the pattern is not one we understand (INVALID_FORMAT). */
export function compileDatePattern(pattern: string): DateParser | null {
  const parts = tokenize(pattern);
  if (!parts || !parts.some((p) => p.kind === 'field')) return null;
  let source = '^';
  const fields: string[] = [];
  for (const part of parts) {
    if (part.kind === 'literal') {
      source += part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    const { letter, width } = part;
    if (letter === 'y') source += width === 2 ? '(\\d{2})' : '(\\d{4})';
    else if (letter === 'M' && width >= 3) source += '([A-Za-z]{3,9})';
    else if (letter === 'a') source += '([AaPp][Mm])';
    else source += width >= 2 ? `(\\d{${width}})` : '(\\d{1,2})';
    fields.push(letter === 'M' && width >= 3 ? 'MMM' : letter);
  }
  const regex = new RegExp(`${source}$`);
  return (text) => {
    const m = regex.exec(text.trim());
    if (!m) return null;
    const out: ParsedDateTime = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    let pm: boolean | null = null;
    let hour12: number | null = null;
    for (let k = 0; k < fields.length; k++) {
      const raw = m[k + 1]!;
      switch (fields[k]) {
        case 'y': {
          const y = Number(raw);
          out.year = raw.length === 2 ? 2000 + y : y;
          break;
        }
        case 'M':
          out.month = Number(raw);
          break;
        case 'MMM': {
          const idx = MONTHS.indexOf(raw.slice(0, 3).toLowerCase());
          if (idx < 0) return null;
          out.month = idx + 1;
          break;
        }
        case 'd':
          out.day = Number(raw);
          break;
        case 'H':
          out.hour = Number(raw);
          break;
        case 'h':
          hour12 = Number(raw);
          break;
        case 'm':
          out.minute = Number(raw);
          break;
        case 's':
          out.second = Number(raw);
          break;
        case 'a':
          pm = raw.toLowerCase() === 'pm';
          break;
      }
    }
    if (hour12 !== null) {
      if (hour12 < 1 || hour12 > 12) return null;
      out.hour = (hour12 % 12) + (pm ? 12 : 0);
    }
    return isValidDateTime(out) ? out : null;
  };
}

export function isValidDateTime(d: ParsedDateTime): boolean {
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.hour > 23 || d.minute > 59 || d.second > 59) return false;
  const daysInMonth = new Date(Date.UTC(d.year, d.month, 0)).getUTCDate();
  return d.day <= daysInMonth;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatDate(d: ParsedDateTime): string {
  return `${pad(d.year, 4)}-${pad(d.month)}-${pad(d.day)}`;
}

export function formatDateTime(d: ParsedDateTime, offset: string): string {
  return `${formatDate(d)}T${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}${offset}`;
}
