import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ZohoError } from '../../errors/zoho-error.js';
import { sendZohoError } from '../error-handler.js';
import { INBOX_SIGNATURE_HEADER, isInboxPath } from '../../egress/inbox-signature.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route belongs to bulkwrite's own surface (admin API, console): the admin rule guards it. */
    admin?: boolean;
  }
}

/** Where bulkwrite's own surface lives; Zoho uses neither prefix. */
export const ADMIN_PREFIXES = ['/_bulkwrite', '/console'] as const;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (how a dual-stack socket reports an IPv4 peer). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The request path, percent-decoded and lower-cased, so `/%5Fbulkwrite` or `/_BULKWRITE` is no way round. */
function pathOf(url: string): string {
  const raw = url.split('?', 1)[0]!;
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

function underAdminPrefix(url: string): boolean {
  const path = pathOf(url).replace(/\/{2,}/g, '/');
  return ADMIN_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

export function sameKey(given: string, key: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  // Compared in constant time; a length difference is compared against the key itself to take as long.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(b, b), false);
}

/**
 * Why this request may not reach bulkwrite's own surface, or null when it may. With an admin key set
 * every call must carry it in `X-Bulkwrite-Admin-Key`; without one, only loopback clients are answered
 * (`req.ip`: the connection's address, or behind a proxy of BULKWRITE_TRUSTED_PROXIES the client it
 * forwards for, so a local proxy does not make every client loopback). A Zoho access token is never enough (it is not even read). `sessionKey` is a key the console
 * already checked and keeps in its session cookie.
 */
export function adminRefusal(req: FastifyRequest, adminKey: string, sessionKey?: string): ZohoError | null {
  if (adminKey === '') return isLoopback(req.ip) ? null : new ZohoError('ADMIN_LOOPBACK_ONLY');
  const header = req.headers['x-bulkwrite-admin-key'];
  const given = typeof header === 'string' ? header : sessionKey;
  if (given === undefined || given === '') return new ZohoError('ADMIN_KEY_REQUIRED');
  return sameKey(given, adminKey) ? null : new ZohoError('ADMIN_KEY_INVALID');
}

/** What the console's sessions add to the rule (api/console/console-session.ts). */
export interface SessionGate {
  /** Let in without the key: what signing in needs (the console's static page, the session call). */
  open(req: FastifyRequest): boolean;
  /** The key a valid session cookie on the request stands for; undefined without one. */
  sessionKey(req: FastifyRequest): string | undefined;
  /** For a request let in: a refusal when a browser sends a state-changing call without its CSRF token. */
  csrf(req: FastifyRequest): ZohoError | null;
}

const NO_SESSIONS: SessionGate = { open: () => false, sessionKey: () => undefined, csrf: () => null };

/**
 * The one rule for bulkwrite's own surface, checked first on every request (before the wrong-method
 * table or a body is read): a route marked `config.admin`, and any path under an admin prefix (matched
 * or not, so that a refused client learns nothing of which admin paths exist). Register before any
 * other hook. `sessions` lets the console sign a browser in once (a cookie standing for the key) and
 * guards its state-changing calls against cross-site requests.
 */
export function guardAdminSurface(app: FastifyInstance, adminKey: string, sessions: SessionGate = NO_SESSIONS): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.admin !== true && !underAdminPrefix(req.url)) return;
    // A callback the server signed for its own inbox: the inbox route checks the signature on the body.
    if (
      adminKey !== '' &&
      req.method === 'POST' &&
      req.headers[INBOX_SIGNATURE_HEADER] !== undefined &&
      req.headers['x-bulkwrite-admin-key'] === undefined &&
      isInboxPath(req.url)
    )
      return;
    if (adminKey !== '' && sessions.open(req)) return;
    const refusal = adminRefusal(req, adminKey, sessions.sessionKey(req)) ?? sessions.csrf(req);
    if (refusal) return sendZohoError(reply, refusal);
  });
}
