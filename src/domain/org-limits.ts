import { ZohoError } from '../errors/zoho-error.js';

/**
 * Zoho's limits for one org, off by default (docs/admin-api.md, "Limits and credits"). This file is the
 * pure part: what the settings are, how the admin API's JSON (or `{"profile":"zoho"}`) becomes them, what
 * a call costs, and the rolling 24-hour credit window. The settings and the credits spent live in the
 * store (Storage.emulator), so every process applies the same ones.
 */

export interface OrgLimits {
  /** Credits in a rolling 24 h window; null: unlimited. */
  dailyCredits: number | null;
  /** Zoho API calls of the org in flight at once (per API process); null: unlimited. */
  concurrency: number | null;
  /** Bulk write jobs ADDED or INPROGRESS at once; null: unlimited. */
  maxConcurrentJobs: number | null;
  /** Data rows of one job's CSV (LIMIT_EXCEEDED at create). */
  maxRows: number | null;
  /** Bytes of one uploaded zip (FILE_TOO_LARGE at upload). */
  maxFileBytes: number | null;
  /** Columns of a CSV, or mapped fields (HEADER_LIMIT_EXCEEDED at create). */
  maxColumns: number | null;
  /** Bulk read result downloads of the org in any READ_DOWNLOAD_WINDOW_MS of the clock (429 past it). */
  readDownloadsPerMinute: number | null;
  /** The profile the settings came from, when one was named. */
  profile: string | null;
}

/** The admin API's names of the settings, in the order they are shown. */
export const LIMIT_KEYS = {
  daily_credits: 'dailyCredits',
  concurrency: 'concurrency',
  max_concurrent_jobs: 'maxConcurrentJobs',
  max_rows: 'maxRows',
  max_file_bytes: 'maxFileBytes',
  max_columns: 'maxColumns',
  read_downloads_per_minute: 'readDownloadsPerMinute',
} as const;
type WireKey = keyof typeof LIMIT_KEYS;

const MAX_SETTING = 1_000_000_000_000;

/**
 * Zoho's published figures (Zoho CRM API limits pages and the Bulk Write API docs, as collected in
 * docs/zoho-wire-spec.md §8.10, with their sources): 25,000 records per job, a 25 MB zip, 200 columns;
 * daily credits 50,000 plus a per-user allowance up to the edition's cap (Free: 5,000 flat; Ultimate:
 * no cap); API concurrency per org and app by edition. Zoho publishes no limit of concurrent bulk write
 * jobs, so the profile leaves it off.
 */
export const ZOHO_EDITIONS = {
  free: { baseCredits: 5_000, perUser: 0, maxCredits: 5_000, concurrency: 5 },
  standard: { baseCredits: 50_000, perUser: 250, maxCredits: 100_000, concurrency: 10 },
  professional: { baseCredits: 50_000, perUser: 500, maxCredits: 3_000_000, concurrency: 15 },
  enterprise: { baseCredits: 50_000, perUser: 1_000, maxCredits: 5_000_000, concurrency: 20 },
  ultimate: { baseCredits: 50_000, perUser: 2_000, maxCredits: null, concurrency: 25 },
} as const;
export type ZohoEdition = keyof typeof ZOHO_EDITIONS;
export const ZOHO_FILE_LIMITS = { maxRows: 25_000, maxFileBytes: 25 * 1024 * 1024, maxColumns: 200 };

/**
 * Zoho's Bulk Read download limit (bulk-read/limitations.html and download-result.html, every version):
 * "Only 10 requests for download are allowed for a one-minute interval", 429 past it. Zoho does not say
 * per what; "all downloads will be unsuccessful" reads as every download of the org, so bulkwrite counts
 * them per org, in a sliding minute of the emulator clock (docs/bulk-read.md, "Download limit").
 */
export const ZOHO_READ_DOWNLOADS_PER_MINUTE = 10;
export const READ_DOWNLOAD_WINDOW_MS = 60_000;

/** Credits a Zoho API call costs: 500 to create a bulk write job ("Bulk Write Initialize"), 1 for any other. */
export const CREATE_JOB_CREDITS = 500;

/** The credit window: a rolling 24 hours, counted in minutes of the emulator clock. */
export const WINDOW_MINUTES = 24 * 60;
export const minuteOf = (now: number) => Math.floor(now / 60_000);
/** Credits spent in minutes after this one count toward the window that contains `now`. */
export const windowStart = (now: number) => minuteOf(now) - WINDOW_MINUTES;

/** The X-API-CREDITS-REMAINING value to send, or null while less than half the credits are used (Zoho's rule). */
export function creditsHeader(daily: number, used: number): number | null {
  return used * 2 >= daily ? Math.max(0, daily - used) : null;
}

const invalid = (field: string, message: string) => new ZohoError('INVALID_DATA', { message, details: { field } });

function setting(body: Record<string, unknown>, key: WireKey): number | null {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_SETTING)
    throw invalid(key, `${key} must be a whole number of at least 1 (or null for no limit), got ${JSON.stringify(v)}`);
  return v;
}

/** The settings of a profile: `{"profile":"zoho","edition"?:"enterprise","users"?:1}`. */
function zohoProfile(body: Record<string, unknown>): OrgLimits {
  const unknown = Object.keys(body).find((k) => !['profile', 'edition', 'users'].includes(k));
  if (unknown !== undefined) throw invalid(unknown, `a profile takes "edition" and "users" only, not "${unknown}"`);
  if (body.profile !== 'zoho')
    throw invalid('profile', `the one profile is "zoho", got ${JSON.stringify(body.profile)}`);
  const edition = (body.edition ?? 'enterprise') as string;
  if (typeof edition !== 'string' || !(edition in ZOHO_EDITIONS))
    throw invalid('edition', `edition must be one of ${Object.keys(ZOHO_EDITIONS).join(', ')}`);
  const users = body.users ?? 1;
  if (typeof users !== 'number' || !Number.isSafeInteger(users) || users < 1 || users > 1_000_000)
    throw invalid('users', 'users must be a whole number from 1 to 1000000');
  const e = ZOHO_EDITIONS[edition as ZohoEdition];
  const credits = e.baseCredits + e.perUser * users;
  return {
    dailyCredits: e.maxCredits === null ? null : Math.min(credits, e.maxCredits),
    concurrency: e.concurrency,
    maxConcurrentJobs: null,
    ...ZOHO_FILE_LIMITS,
    readDownloadsPerMinute: ZOHO_READ_DOWNLOADS_PER_MINUTE,
    profile: `zoho:${edition}`,
  };
}

/**
 * The settings of a `PUT /_bulkwrite/orgs/{id}/limits` body: each key a whole number ≥ 1 or null (no
 * limit; an absent key is null too), or a profile. Null when every setting is null (limits off).
 */
export function parseOrgLimits(body: Record<string, unknown>): OrgLimits | null {
  if (body.profile !== undefined) return zohoProfile(body);
  const unknown = Object.keys(body).find((k) => !(k in LIMIT_KEYS));
  if (unknown !== undefined)
    throw invalid(
      unknown,
      `unknown key "${unknown}"; limits are ${Object.keys(LIMIT_KEYS).join(', ')}, or {"profile":"zoho"}`,
    );
  const limits: OrgLimits = {
    dailyCredits: setting(body, 'daily_credits'),
    concurrency: setting(body, 'concurrency'),
    maxConcurrentJobs: setting(body, 'max_concurrent_jobs'),
    maxRows: setting(body, 'max_rows'),
    maxFileBytes: setting(body, 'max_file_bytes'),
    maxColumns: setting(body, 'max_columns'),
    readDownloadsPerMinute: setting(body, 'read_downloads_per_minute'),
    profile: null,
  };
  return Object.values(LIMIT_KEYS).every((k) => limits[k] === null) ? null : limits;
}

/** The settings as the admin API shows them (snake_case, null for no limit). */
export function orgLimitsToWire(limits: OrgLimits | null): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  for (const [wire, key] of Object.entries(LIMIT_KEYS)) out[wire] = limits?.[key] ?? null;
  out.profile = limits?.profile ?? null;
  return out;
}

/** Settings as kept in the store (JSON text) and read back; a document that does not parse is no limits. */
export const orgLimitsToText = (limits: OrgLimits) => JSON.stringify(limits);
export function orgLimitsFromText(text: string): OrgLimits | null {
  try {
    const v = JSON.parse(text) as Partial<OrgLimits>;
    const num = (x: unknown) => (typeof x === 'number' && x >= 1 ? x : null);
    return {
      dailyCredits: num(v.dailyCredits),
      concurrency: num(v.concurrency),
      maxConcurrentJobs: num(v.maxConcurrentJobs),
      maxRows: num(v.maxRows),
      maxFileBytes: num(v.maxFileBytes),
      maxColumns: num(v.maxColumns),
      readDownloadsPerMinute: num(v.readDownloadsPerMinute),
      profile: typeof v.profile === 'string' ? v.profile : null,
    };
  } catch {
    return null;
  }
}

/** The smaller of the server's own limit and the org's (when it has one). */
export const tighter = (server: number, org: number | null | undefined) =>
  org == null ? server : Math.min(server, org);
