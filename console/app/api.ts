// Calls to bulkwrite: its own JSON under /_bulkwrite/ (the admin rule: a session cookie or loopback,
// with the CSRF token on every state-changing call) and the Zoho API with a token the console made.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = {},
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

export function setCsrf(token: string | null): void {
  csrfToken = token;
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok || (isObject(body) && body.status === 'error')) {
    const b = isObject(body) ? body : {};
    throw new ApiError(
      res.status,
      String(b.code ?? `HTTP_${res.status}`),
      String(b.message ?? res.statusText),
      b.details,
    );
  }
  return body as T;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SESSION_PATH = '/_bulkwrite/console/session';

function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken !== null) headers['x-bulkwrite-csrf'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
}

/**
 * bulkwrite's own API: GET without a body, anything else with JSON and the CSRF token. Tabs opened at
 * the same moment in a new browser each get a CSRF cookie and the browser keeps the last one, so the
 * token a tab holds may be another tab's: refused with CSRF_TOKEN_INVALID, the tab asks the session
 * for the token of the cookie it now has and sends the call once more.
 */
export async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (method !== 'GET' && path !== SESSION_PATH && res.status === 403) {
    const refused: unknown = await res
      .clone()
      .json()
      .catch(() => null);
    if (isObject(refused) && refused.code === 'CSRF_TOKEN_INVALID') {
      const session = await answer<{ csrf_token: string | null }>(await send('GET', SESSION_PATH));
      setCsrf(session.csrf_token);
      return answer<T>(await send(method, path, body));
    }
  }
  return answer<T>(res);
}

export function query(params: Record<string, string | number | undefined | null | false>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== false && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

// --- The Zoho API, with the token the server keeps for this session and org (console-tokens.ts). ---

interface HeldToken {
  token: string;
  expiresAt: number;
}

export interface Credentials {
  org_id: string;
  access_token: string;
  refresh_token: string;
  client_id: string;
  client_secret: string;
  expires_in: number;
  scopes: string[];
  api_domain: string;
  accounts_url: string;
  token_url: string;
}

/** A fresh token of the org (POST /_bulkwrite/orgs/{id}/tokens). */
export function issueToken(orgId: string, scopes: string[], expiresIn?: number): Promise<Credentials> {
  return admin<Credentials>('POST', `/_bulkwrite/orgs/${encodeURIComponent(orgId)}/tokens`, {
    scopes,
    ...(expiresIn ? { expires_in: expiresIn } : {}),
  });
}

/**
 * The console's token for the org: one per session and org, made by the server and shared by every tab
 * (an access token alone, so opening tabs never revokes a token the user holds); kept in this tab until
 * it nears its expiry.
 */
async function consoleToken(orgId: string): Promise<string> {
  const key = `bw-token-${orgId}`;
  const held = sessionStorage.getItem(key);
  if (held !== null) {
    const t = JSON.parse(held) as HeldToken;
    if (t.expiresAt > Date.now() + 60_000) return t.token;
  }
  const c = await admin<{ access_token: string; expires_in: number }>(
    'POST',
    `/_bulkwrite/console/orgs/${encodeURIComponent(orgId)}/token`,
  );
  sessionStorage.setItem(key, JSON.stringify({ token: c.access_token, expiresAt: Date.now() + c.expires_in * 1000 }));
  return c.access_token;
}

/** A Zoho API call for the org, as any client makes it. 204 answers null. */
export async function zoho<T>(
  orgId: string,
  method: string,
  path: string,
  body?: BodyInit,
  headers: Record<string, string> = {},
): Promise<T | null> {
  const send = async () =>
    fetch(path, {
      method,
      headers: { authorization: `Zoho-oauthtoken ${await consoleToken(orgId)}`, ...headers },
      body,
      credentials: 'omit',
    });
  let res = await send();
  if (res.status === 401) {
    // The tab's token was revoked (a reset, a sign-out in another tab) or expired early (a moved clock).
    sessionStorage.removeItem(`bw-token-${orgId}`);
    res = await send();
  }
  if (res.status === 204) return null;
  return answer<T>(res);
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
