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

/** The UTC offset of `timeZone` at `epochMs`, in minutes. */
export function offsetMinutes(timeZone: string, epochMs: number): number {
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
