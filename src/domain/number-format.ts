/**
 * Number formats for `field_mappings[].format` on integer, bigint, decimal, currency and percent fields,
 * and the exact reading of a number cell. A format is a pattern of digit placeholders (`#`, `0`, or
 * digits, so a sample such as `9.999,99` works too) and separators, written as the CSV writes numbers:
 *
 *   `#,##0.00` (the default: `,` groups, `.` decimal) · `#.##0,00` · `# ##0,00` · `#'##0.00` ·
 *   `##,##,##0.00` (Indian grouping) · `0.00` / `#` (no grouping) · `0,00` (decimal comma, no grouping)
 *
 * With two separators the last is the decimal one; with one kind written once, `.` is decimal, `,` is
 * decimal unless exactly three placeholders follow it (then it groups), a space or `'` groups; with one
 * kind written several times it groups. A cell is read exactly: grouping, when present, must sit where
 * the format puts it (1–3 digits first, then threes; Indian: twos, then a final three), anything else
 * fails, so `1.234,56` is never read as 1.23456 under the default. A space groups also as a no-break
 * space (U+00A0, U+202F), as spreadsheets export it.
 */

export interface NumberFormat {
  decimal: string;
  /** The grouping separator, or null when the format groups nothing (a cell may not group then). */
  group: string | null;
  indian: boolean;
}

export const DEFAULT_NUMBER_FORMAT: NumberFormat = { decimal: '.', group: ',', indian: false };

const isPlaceholder = (ch: string) => ch === '#' || (ch >= '0' && ch <= '9');
const SEPARATORS = new Set([',', '.', ' ', '\u00a0', '\u202f', "'"]);

/** Compiles a number format; null when it is not one (INVALID_FORMAT at job creation). */
export function compileNumberFormat(pattern: string): NumberFormat | null {
  const p = pattern.trim().replace(/[\u00a0\u202f]/g, ' ');
  if (p === '' || p.length > 40 || !isPlaceholder(p[0]!) || !isPlaceholder(p[p.length - 1]!)) return null;
  const seps: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (isPlaceholder(ch)) continue;
    if (!SEPARATORS.has(ch) || !isPlaceholder(p[i - 1]!)) return null;
    seps.push(i);
  }
  if (seps.length === 0) return { decimal: '.', group: null, indian: false };
  const kinds = [...new Set(seps.map((i) => p[i]!))];
  let decimal: string;
  let group: string | null;
  let decimalAt = -1;
  if (kinds.length > 2) return null;
  if (kinds.length === 2) {
    decimalAt = seps[seps.length - 1]!;
    decimal = p[decimalAt]!;
    group = kinds.find((k) => k !== decimal)!;
    if (seps.filter((i) => p[i] === decimal).length !== 1) return null;
  } else {
    const only = kinds[0]!;
    const after = p.length - seps[0]! - 1;
    if (seps.length > 1) {
      group = only;
      decimal = only === '.' ? ',' : '.';
    } else if (only === '.' || (only === ',' && after !== 3)) {
      decimal = only;
      group = null;
      decimalAt = seps[0]!;
    } else {
      group = only;
      decimal = only === '.' ? ',' : '.';
    }
  }
  if (group === null) return { decimal, group, indian: false };
  const intPart = decimalAt < 0 ? p : p.slice(0, decimalAt);
  const segments = intPart.split(group).map((s) => s.length);
  const tail = segments.slice(1);
  const western = tail.every((n) => n === 3);
  const indian = tail.length >= 2 && tail[tail.length - 1] === 3 && tail.slice(0, -1).every((n) => n === 2);
  if (!western && !indian) return null;
  return { decimal, group: group === ' ' ? ' ' : group, indian: !western };
}

export interface ParsedNumber {
  negative: boolean;
  /** Integer digits without leading zeros ("0" for none). */
  int: string;
  /** Fraction digits without trailing zeros. */
  frac: string;
}

const isGroupChar = (ch: number, group: string) =>
  group === ' ' ? ch === 32 || ch === 0xa0 || ch === 0x202f : ch === group.charCodeAt(0);

/** Reads a trimmed cell under a format; null unless the whole cell is one number written that way. */
export function parseNumber(text: string, fmt: NumberFormat): ParsedNumber | null {
  let pos = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 || first === 43) {
    negative = first === 45;
    pos = 1;
  }
  const intStart = pos;
  let groups = 0;
  let segment = 0;
  let firstSegment = -1;
  let intDigits = '';
  const dec = fmt.decimal.charCodeAt(0);
  for (; pos < text.length; pos++) {
    const c = text.charCodeAt(pos);
    if (c >= 48 && c <= 57) {
      segment++;
      continue;
    }
    if (fmt.group !== null && isGroupChar(c, fmt.group)) {
      if (segment === 0) return null;
      if (groups === 0) firstSegment = segment;
      else if (segment !== (fmt.indian ? 2 : 3)) return null;
      groups++;
      segment = 0;
      continue;
    }
    break;
  }
  if (groups > 0) {
    if (segment !== 3 || firstSegment > (fmt.indian ? 2 : 3)) return null;
    intDigits = stripGroups(text.slice(intStart, pos));
  } else intDigits = text.slice(intStart, pos);
  let frac = '';
  if (pos < text.length && text.charCodeAt(pos) === dec) {
    const fracStart = ++pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c < 48 || c > 57) break;
      pos++;
    }
    frac = text.slice(fracStart, pos);
  }
  if (pos !== text.length || (intDigits === '' && frac === '')) return null;
  let i = 0;
  while (i < intDigits.length - 1 && intDigits.charCodeAt(i) === 48) i++;
  const int = intDigits.slice(i) || '0';
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  if (int === '0' && frac === '') negative = false;
  return { negative, int, frac };
}

function stripGroups(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) out += s[i];
  }
  return out;
}

/** Rounds to `places` fraction digits, half away from zero (Zoho's "normal" rounding of currencies). */
export function roundNumber(n: ParsedNumber, places: number): ParsedNumber {
  if (n.frac.length <= places) return n;
  const up = n.frac.charCodeAt(places) >= 53;
  let digits = n.int + n.frac.slice(0, places);
  if (up) {
    const arr = digits.split('');
    let k = arr.length - 1;
    for (; k >= 0; k--) {
      if (arr[k] === '9') arr[k] = '0';
      else {
        arr[k] = String.fromCharCode(arr[k]!.charCodeAt(0) + 1);
        break;
      }
    }
    digits = (k < 0 ? '1' : '') + arr.join('');
  }
  const intLen = digits.length - places;
  const int = digits.slice(0, intLen).replace(/^0+(?=\d)/, '') || '0';
  const frac = digits.slice(intLen).replace(/0+$/, '');
  return { negative: n.negative && !(int === '0' && frac === ''), int, frac };
}

/** The number's decimal text ("-12.5"), as JSON and the records API write it. */
export function numberText(n: ParsedNumber): string {
  return `${n.negative ? '-' : ''}${n.int}${n.frac === '' ? '' : `.${n.frac}`}`;
}

/**
 * The number as a double, or null when a double cannot hold it exactly (more significant digits than
 * the 15–17 a double keeps): such a value would be stored with other digits than the cell's.
 */
export function exactDouble(n: ParsedNumber): number | null {
  const text = numberText(n);
  const value = Number(text);
  // Any decimal of at most 15 significant digits survives a double (DBL_DIG).
  if (n.int.length + n.frac.length <= 15) return value;
  if (!Number.isFinite(value)) return null;
  const back = String(value);
  if (back === text) return value;
  return back.includes('e') && value.toFixed(n.frac.length) === text ? value : null;
}
