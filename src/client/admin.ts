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
