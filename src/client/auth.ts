import { raceAbort } from './abort.js';
import { ZohoApiError } from './errors.js';
import { TokenResponseSchema } from './schema.js';
import { SchemaError } from './schema-kit.js';

/** A token the accounts server issued (or the caller gave). `expiresAt` is epoch milliseconds, null if unknown. */
export interface IssuedToken {
  accessToken: string;
  expiresAt: number | null;
  /** The API domain the accounts server named for this org's data centre, if it said. */
  apiDomain?: string;
  scope?: string;
}

export interface RefreshCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** A token already in hand (from a cache), used until it nears `expiresAt`. */
  accessToken?: string;
  expiresAt?: number | null;
  /** Called after each refresh, e.g. to cache the token across runs. */
  onRefresh?: (token: IssuedToken) => void | Promise<void>;
}

/** An access token (it cannot be renewed), or a Self Client / OAuth client with a refresh token. */
export type Credentials = string | { accessToken: string; expiresAt?: number | null } | RefreshCredentials;

export function isRefreshable(c: Credentials): c is RefreshCredentials {
  return typeof c === 'object' && 'refreshToken' in c && typeof c.refreshToken === 'string';
}

/** `{accountsUrl}/oauth/v2/token`, or the URL as given when it already names the token path. */
export function tokenUrlOf(accountsUrl: string): string {
  const base = accountsUrl.replace(/\/+$/, '');
  return /\/oauth\/v2\/(token|auth)$/.test(base) ? base : `${base}/oauth/v2/token`;
}

interface Options {
  tokenUrl: string;
  fetch: typeof fetch;
  now: () => number;
  /** Refresh when less than this much validity remains (capped at half the token's lifetime). */
  marginMs: number;
  userAgent: string;
}

/**
 * Hands out the access token for each request. With refresh credentials it refreshes before expiry, and
 * at most one refresh is in flight: concurrent callers share it. After a 401 the caller asks for a
 * replacement of the token that was refused; if another caller already replaced it, no new refresh runs.
 */
export class TokenSource {
  private current: { token: string; expiresAt: number | null; lifetimeMs: number | null } | null = null;
  private inflight: Promise<string> | null = null;
  /** The API domain from the last token answer, to tell a user talking to the wrong data centre. */
  apiDomain: string | undefined;
  /** How many refreshes this source has made (for logs and tests). */
  refreshCount = 0;

  constructor(
    private readonly credentials: Credentials,
    private readonly opts: Options,
  ) {
    if (typeof credentials === 'string') this.current = { token: credentials, expiresAt: null, lifetimeMs: null };
    else if (credentials.accessToken)
      this.current = { token: credentials.accessToken, expiresAt: credentials.expiresAt ?? null, lifetimeMs: null };
  }

  get canRefresh(): boolean {
    return isRefreshable(this.credentials);
  }

  private fresh(): boolean {
    const c = this.current;
    if (!c) return false;
    if (c.expiresAt === null) return true;
    const margin = c.lifetimeMs === null ? this.opts.marginMs : Math.min(this.opts.marginMs, c.lifetimeMs / 2);
    return c.expiresAt - this.opts.now() > margin;
  }

  /** The token to send now; refreshes first when it is missing or about to expire. */
  async token(signal?: AbortSignal): Promise<string> {
    if (this.inflight) return raceAbort(this.inflight, signal);
    if (this.fresh() || !this.canRefresh) {
      if (this.current) return this.current.token;
      throw new Error('no access token'); // unreachable: credentials always give a token or a refresh token
    }
    return raceAbort(this.refresh(), signal);
  }

  /** After `rejected` was refused with INVALID_TOKEN: a replacement, or null when there is nothing better. */
  async replace(rejected: string, signal?: AbortSignal): Promise<string | null> {
    if (!this.canRefresh) return null;
    if (this.inflight) return raceAbort(this.inflight, signal);
    if (this.current && this.current.token !== rejected && this.fresh()) return this.current.token;
    return raceAbort(this.refresh(), signal);
  }

  private refresh(): Promise<string> {
    this.inflight ??= this.doRefresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async doRefresh(): Promise<string> {
    const c = this.credentials as RefreshCredentials;
    const url = this.opts.tokenUrl;
    const fail = (init: { code: string; httpStatus: number; message: string; details?: Record<string, unknown> }) =>
      new ZohoApiError({ ...init, step: 'token', method: 'POST', url });
    const body = new URLSearchParams({
      refresh_token: c.refreshToken,
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_type: 'refresh_token',
    });
    let res: Response;
    try {
      res = await this.opts.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': this.opts.userAgent },
        body,
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      throw fail({
        code: 'NETWORK_ERROR',
        httpStatus: 0,
        message: `cannot reach the accounts server ${new URL(url).origin}${cause ? ` (${cause})` : ''}`,
        details: { cause: cause ?? String(e) },
      });
    }
    const text = await res.text();
    let parsed;
    try {
      parsed = TokenResponseSchema.parse(JSON.parse(text));
    } catch (e) {
      throw fail({
        code: 'UNEXPECTED_RESPONSE',
        httpStatus: res.status,
        message: `the accounts server ${new URL(url).origin} did not answer with a token (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'})`,
        details: {
          content_type: res.headers.get('content-type'),
          body_start: text.slice(0, 200),
          ...(e instanceof SchemaError ? { path: e.path, expected: e.expected } : {}),
        },
      });
    }
    if (!parsed.access_token) {
      const code = parsed.error ?? 'UNEXPECTED_RESPONSE';
      throw fail({
        code,
        httpStatus: res.status,
        message: parsed.error
          ? `the accounts server refused the refresh: ${parsed.error}`
          : 'the accounts server answered without an access_token',
        details: { ...parsed },
      });
    }
    // Old Zoho answers carry expires_in in ms next to expires_in_sec (spec §10.2).
    const seconds = parsed.expires_in_sec ?? parsed.expires_in;
    const lifetimeMs = seconds !== undefined ? seconds * 1000 : null;
    const expiresAt = lifetimeMs !== null ? this.opts.now() + lifetimeMs : null;
    this.current = { token: parsed.access_token, expiresAt, lifetimeMs };
    this.apiDomain = parsed.api_domain;
    this.refreshCount++;
    try {
      await c.onRefresh?.({
        accessToken: parsed.access_token,
        expiresAt,
        ...(parsed.api_domain ? { apiDomain: parsed.api_domain } : {}),
        ...(parsed.scope ? { scope: parsed.scope } : {}),
      });
    } catch {
      // A cache that cannot be written must not fail the call that needed the token.
    }
    return parsed.access_token;
  }
}
