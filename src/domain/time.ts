/** Times on the wire: ISO-8601 with the org's UTC offset, second precision (2021-05-11T12:38:29+05:30). */

const offsetCache = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = offsetCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetCache.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');

/** The UTC offset of `timeZone` at `epochMs`, in minutes, asked of Intl (slow: ~10 µs a call). */
function computeOffsetMinutes(timeZone: string, epochMs: number): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!);
  return Math.round((asUtc - Math.floor(epochMs / 1000) * 1000) / 60000);
}

export function formatOffset(minutes: number): string {
  return `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;
}

export function toZohoTime(epochMs: number, timeZone: string): string {
  const minutes = offsetMinutes(timeZone, epochMs);
  const local = new Date(Math.floor(epochMs / 1000) * 1000 + minutes * 60000).toISOString().slice(0, 19);
  return `${local}${formatOffset(minutes)}`;
}

const HOUR_MS = 3_600_000;
/** Hours remembered per time zone before that zone's cache starts over (a year of distinct hours). */
const MAX_HOURS_PER_ZONE = 10_000;
/** time zone → UTC hour (epoch ms / 1 h) → offset in minutes, for hours with no transition in them. */
const offsetsByHour = new Map<string, Map<number, number>>();

/**
 * The UTC offset of `timeZone` at `epochMs`, in minutes. Job details are polled, and every answer has a
 * `created_time`: asking Intl each time was ~11 % of a request. An offset is remembered per UTC hour when
 * the hour's first and last millisecond have the same offset; tzdata never has two transitions within
 * an hour, so every instant of such an hour has that offset. Hours with a transition in them (which can
 * fall at :15, :30 or :45 UTC) are asked of Intl every time.
 */
export function offsetMinutes(timeZone: string, epochMs: number): number {
  const hour = Math.floor(epochMs / HOUR_MS);
  let hours = offsetsByHour.get(timeZone);
  const known = hours?.get(hour);
  if (known !== undefined) return known;
  const minutes = computeOffsetMinutes(timeZone, epochMs);
  const start = hour * HOUR_MS;
  if (
    computeOffsetMinutes(timeZone, start) === minutes &&
    computeOffsetMinutes(timeZone, start + HOUR_MS - 1) === minutes
  ) {
    if (!hours || hours.size >= MAX_HOURS_PER_ZONE) offsetsByHour.set(timeZone, (hours = new Map()));
    hours.set(hour, minutes);
  }
  return minutes;
}
