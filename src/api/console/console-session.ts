import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZohoError } from '../../errors/zoho-error.js';
import type { SessionGate } from '../admin/admin-access.js';

/**
 * The console's sessions (docs/console.md, "Access"). With BULKWRITE_ADMIN_KEY set, the browser proves
 * the key once and gets `bw_session`: an expiry, a nonce and an HMAC of both under the key, so any process
 * holding the same key checks it without shared state, and a new key ends every session. The cookie is
 * HttpOnly, SameSite=Strict, and Secure over TLS. Without a key there is nothing to sign in to (loopback
 * only), and `bw_csrf` holds a random token instead.
 *
 * CSRF: a browser's state-changing call under /_bulkwrite/ (one riding the session cookie, or one that
 * names an Origin or Sec-Fetch-Site, as browsers do) must carry `X-Bulkwrite-Csrf`: under a key, an HMAC
 * of the session cookie; without one, the `bw_csrf` cookie's value (a cross-site page can neither read it
 * nor set the header without a CORS preflight bulkwrite never grants). curl and the SDKs send neither
 * header nor cookie and are not affected.
 */

export const SESSION_COOKIE = 'bw_session';
export const CSRF_COOKIE = 'bw_csrf';
export const CSRF_HEADER = 'x-bulkwrite-csrf';
const SESSION_MS = 12 * 3_600_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function cookiesOf(req: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

function mac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function pathOf(req: FastifyRequest): string {
  const raw = req.url.split('?', 1)[0]!;
  try {
    return decodeURIComponent(raw)
      .toLowerCase()
      .replace(/\/{2,}/g, '/');
  } catch {
    return raw.toLowerCase();
  }
}

export const SESSION_PATH = '/_bulkwrite/console/session';

export interface ConsoleSessions extends SessionGate {
  /** A new session cookie's value for a browser that gave the key. */
  issue(): string;
  /** The CSRF token the console sends with state-changing calls; null when the request has no session. */
  csrfToken(req: FastifyRequest): string | null;
  /** Sets a cookie with the console's flags (HttpOnly, SameSite=Strict, Secure over TLS). */
  setCookie(reply: FastifyReply, req: FastifyRequest, name: string, value: string, clear?: boolean): void;
}

export function consoleSessions(adminKey: string, now: () => number): ConsoleSessions {
  const validSession = (req: FastifyRequest): string | undefined => {
    if (adminKey === '') return undefined;
    const value = cookiesOf(req).get(SESSION_COOKIE);
    const m = value === undefined ? null : /^(\d{1,16})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m || Number(m[1]) <= now()) return undefined;
    return same(m[3]!, mac(adminKey, `session.${m[1]}.${m[2]}`)) ? value : undefined;
  };
  const csrfToken = (req: FastifyRequest): string | null => {
    if (adminKey === '') {
      const token = cookiesOf(req).get(CSRF_COOKIE);
      return token !== undefined && /^[A-Za-z0-9_-]{32,64}$/.test(token) ? token : null;
    }
    const session = validSession(req);
    return session === undefined ? null : mac(adminKey, `csrf.${session}`);
  };
  return {
    open(req) {
      const path = pathOf(req);
      if (path === SESSION_PATH) return true;
      return (req.method === 'GET' || req.method === 'HEAD') && (path === '/console' || path.startsWith('/console/'));
    },
    sessionKey: (req) => (validSession(req) === undefined ? undefined : adminKey),
    csrf(req) {
      if (SAFE_METHODS.has(req.method)) return null;
      if (typeof req.headers['x-bulkwrite-admin-key'] === 'string') return null;
      const browser =
        req.headers.origin !== undefined ||
        req.headers['sec-fetch-site'] !== undefined ||
        (adminKey !== '' && validSession(req) !== undefined);
      if (!browser) return null;
      const expected = csrfToken(req);
      const given = req.headers[CSRF_HEADER];
      if (expected !== null && typeof given === 'string' && same(given, expected)) return null;
      return new ZohoError('CSRF_TOKEN_INVALID');
    },
    issue() {
      const expires = now() + SESSION_MS;
      const nonce = randomBytes(24).toString('base64url');
      return `${expires}.${nonce}.${mac(adminKey, `session.${expires}.${nonce}`)}`;
    },
    csrfToken,
    setCookie(reply, req, name, value, clear = false) {
      const flags = ['Path=/', 'HttpOnly', 'SameSite=Strict'];
      if (req.protocol === 'https') flags.push('Secure');
      if (clear) flags.push('Max-Age=0');
      reply.header('set-cookie', `${name}=${value}; ${flags.join('; ')}`);
    },
  };
}

export function newCsrfCookie(): string {
  return randomBytes(24).toString('base64url');
}
