/**
 * A typed client of bulkwrite's admin API (`/_bulkwrite/`, docs/admin-api.md): what a test suite uses to
 * steer the emulator. It speaks to a bulkwrite server only (Zoho has no such API) and imports no server
 * code; `bulkwrite/testing` hands one out, and `bulkwrite admin` is built on it.
 *
 * ```ts
 * const admin = new BulkwriteAdmin({ url: 'http://127.0.0.1:8080' });
 * await admin.reset({ orgId });
 * await admin.clock.advance(2 * 3600_000);
 * ```
 */

/** An answer of the admin API that is not a success: Zoho's envelope, with bulkwrite's own codes. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${code} (HTTP ${status}): ${message}`);
    this.name = 'AdminApiError';
  }
}

export interface AdminOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Sent as X-Bulkwrite-Admin-Key when the server has BULKWRITE_ADMIN_KEY set. */
  adminKey?: string;
  fetch?: typeof fetch;
}

/** What `POST /_bulkwrite/orgs` and `POST /_bulkwrite/orgs/{id}/tokens` answer: as `bulkwrite credentials --json`. */
export interface AdminCredentials {
  org_id: string;
  client_id: string;
  client_secret: string;
  refresh_token: string;
  access_token: string;
  expires_in: number;
  scopes: string[];
  api_domain: string;
  accounts_url: string;
  token_url: string;
  grant_code: string;
}

export interface CreatedOrg extends AdminCredentials {
  name: string;
  time_zone: string;
  schema_version?: number;
}

export interface AdminOrg {
  org_id: string;
  name: string;
  time_zone: string;
  created_time: string;
  user: { id: string; name: string; email: string };
  /** The org created first: the one `serve` and `credentials` use. */
  default: boolean;
}

export interface Health {
  status: 'ok';
  version: string;
  store: 'sqlite' | 'postgres';
  workers: number;
}

export interface ClockState {
  /** The emulator clock's time now. */
  now: string;
  /** Its offset from real time. */
  offset_ms: number;
  real_time: boolean;
}

/** A fault rule as `POST /_bulkwrite/faults` takes it (docs/admin-api.md, "Faults"). */
export interface FaultRule {
  match?: { org_id?: string; route?: string; method?: string; job_id?: string };
  times?: number;
  probability?: number;
  respond?: { status?: number; code: string; message?: string; details?: Record<string, unknown> };
  delay_ms?: number;
  drop?: true;
  job?: { fail_at_row?: number; code?: string; message?: string; rows_per_second?: number; hold?: true };
  callback?: { status: number };
}

export interface ListedFaultRule extends FaultRule {
  id: string;
  remaining: number | null;
  hits: number;
  created_at: string;
}

export interface InboxMessage {
  received_at: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface CallbackEntry {
  id: number;
  job_id: string;
  org_id: string;
  url: string;
  method: string;
  attempt: number;
  sent_at: string;
  status_code: number | null;
  error: string | null;
  body: string;
}

export interface JournaledRequest {
  time: string;
  method: string;
  path: string;
  status: number;
  code: string | null;
  ms: number;
  route: string | null;
  org_id: string | null;
}

export interface OrgLimitSettings {
  daily_credits?: number | null;
  concurrency?: number | null;
  max_concurrent_jobs?: number | null;
  max_rows?: number | null;
  max_file_bytes?: number | null;
  max_columns?: number | null;
  read_downloads_per_minute?: number | null;
}

export interface ZohoLimitsProfile {
  profile: 'zoho';
  edition?: 'free' | 'standard' | 'professional' | 'enterprise' | 'ultimate';
  users?: number;
}

export interface OrgLimitsState {
  org_id: string;
  enabled: boolean;
  limits: Required<OrgLimitSettings> & { profile: string | null };
  usage: {
    credits_used: number;
    credits_remaining: number | null;
    window_hours: number;
    calls_in_flight: number;
    active_jobs: number;
    read_downloads_last_minute: number;
  };
}

/** A reset's answer: `{reset:'org', org_id}`, or for the whole store the new default org's credentials. */
export type ResetAnswer = { reset: 'org'; org_id: string } | ({ reset: 'store' } & CreatedOrg);

/** `?a=1&b=2` of the defined values, or ''. */
function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}

export class BulkwriteAdmin {
  readonly url: string;
  private readonly adminKey: string | undefined;
  private readonly fetchFn: typeof fetch;

  /** The emulator clock: token and grant-code expiry, credit windows and every time the server writes read it. */
  readonly clock = {
    get: (): Promise<ClockState> => this.call('GET', '/clock'),
    /** Moves the clock forward (or back, with a negative number) by `ms`. */
    advance: (ms: number): Promise<ClockState> => this.call('POST', '/clock', { advance_ms: ms }),
    /** Sets the clock to a time; it runs on from there. */
    set: (time: Date | string): Promise<ClockState> =>
      this.call('POST', '/clock', { set: typeof time === 'string' ? time : time.toISOString() }),
    /** Back to real time. */
    real: (): Promise<ClockState> => this.call('DELETE', '/clock'),
  };

  /** Fault rules (docs/admin-api.md, "Faults"): Zoho's failures on demand. */
  readonly faults = {
    /** Adds a rule; its id. */
    add: async (rule: FaultRule): Promise<string> => (await this.call<{ id: string }>('POST', '/faults', rule)).id,
    list: async (): Promise<ListedFaultRule[]> =>
      (await this.call<{ faults: ListedFaultRule[] }>('GET', '/faults')).faults,
    remove: (id: string): Promise<{ deleted: number }> => this.call('DELETE', `/faults/${encodeURIComponent(id)}`),
    /** Every rule away (and every job a rule held let go). */
    clear: (): Promise<{ deleted: number }> => this.call('DELETE', '/faults'),
  };

  /** The built-in callback receiver: `url(name)` is what a job's callback may name. */
  readonly inbox = {
    url: (name: string): string => `${this.url}/_bulkwrite/inbox/${encodeURIComponent(name)}`,
    /** What arrived under `name`; with `waitMs`, waits until something has. */
    get: async (name: string, opts: { waitMs?: number } = {}): Promise<InboxMessage[]> =>
      (
        await this.call<{ messages: InboxMessage[] }>(
          'GET',
          `/inbox/${encodeURIComponent(name)}${query({ wait_ms: opts.waitMs })}`,
        )
      ).messages,
  };

  /** An org's limits and credits (docs/admin-api.md, "Limits and credits"). */
  readonly limits = {
    get: (orgId: string): Promise<OrgLimitsState> => this.call('GET', `/orgs/${encodeURIComponent(orgId)}/limits`),
    /** Sets the limits (each null or absent: no limit), or `{profile:'zoho', edition?, users?}`. */
    set: (orgId: string, limits: OrgLimitSettings | ZohoLimitsProfile): Promise<OrgLimitsState> =>
      this.call('PUT', `/orgs/${encodeURIComponent(orgId)}/limits`, limits),
    off: (orgId: string): Promise<OrgLimitsState> => this.call('DELETE', `/orgs/${encodeURIComponent(orgId)}/limits`),
  };

  constructor(options: AdminOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.adminKey = options.adminKey;
    this.fetchFn = options.fetch ?? fetch;
  }

  health(): Promise<Health> {
    return this.call('GET', '/health');
  }

  /** A new org with its Self Client and fresh tokens; `schema` is a document as `bulkwrite org schema apply` takes. */
  createOrg(body: { name?: string; time_zone?: string; schema?: unknown } = {}): Promise<CreatedOrg> {
    return this.call('POST', '/orgs', body);
  }

  async orgs(): Promise<AdminOrg[]> {
    return (await this.call<{ orgs: AdminOrg[] }>('GET', '/orgs')).orgs;
  }

  /** A fresh refresh and access token for the org: a chosen scope set, or a short life (`expires_in`, seconds). */
  token(orgId: string, body: { scopes?: string[]; expires_in?: number } = {}): Promise<AdminCredentials> {
    return this.call('POST', `/orgs/${encodeURIComponent(orgId)}/tokens`, body);
  }

  /**
   * With `orgId`: removes the org's jobs, files, records, journal and inbox messages (keeps the org and its
   * tokens). Without: a fresh store with a new default org, whose credentials are in the answer.
   */
  reset(opts: { orgId?: string } = {}): Promise<ResetAnswer> {
    return this.call('POST', '/reset', opts.orgId === undefined ? {} : { org_id: opts.orgId });
  }

  /** The callback journal: every attempt, oldest first; with `waitMs`, waits until one matches. */
  async callbacks(
    filter: { orgId?: string; jobId?: string; after?: number; waitMs?: number } = {},
  ): Promise<CallbackEntry[]> {
    const q = query({ org_id: filter.orgId, job_id: filter.jobId, after: filter.after, wait_ms: filter.waitMs });
    return (await this.call<{ callbacks: CallbackEntry[] }>('GET', `/callbacks${q}`)).callbacks;
  }

  /** The last `limit` Zoho API calls the server answered (this process's journal), oldest first. */
  async requests(
    filter: { orgId?: string; route?: string; method?: string; limit?: number } = {},
  ): Promise<JournaledRequest[]> {
    const q = query({ org_id: filter.orgId, route: filter.route, method: filter.method, limit: filter.limit });
    return (await this.call<{ requests: JournaledRequest[] }>('GET', `/requests${q}`)).requests;
  }

  /** Lets a job a `{"job":{"hold":true}}` rule keeps ADDED be processed. */
  release(jobId: string): Promise<{ released: string }> {
    return this.call('POST', `/jobs/${encodeURIComponent(jobId)}/release`);
  }

  /** One admin call: `path` is under /_bulkwrite. Non-2xx answers throw AdminApiError. */
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.adminKey) headers['x-bulkwrite-admin-key'] = this.adminKey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${this.url}/_bulkwrite${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      throw new AdminApiError(res.status, 'UNEXPECTED_RESPONSE', `not JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
      throw new AdminApiError(res.status, e.code ?? 'UNEXPECTED_RESPONSE', e.message ?? text.slice(0, 200), e.details);
    }
    return parsed as T;
  }
}
