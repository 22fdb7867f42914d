import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ZohoError } from '../../errors/zoho-error.js';
import { sendZohoError } from '../error-handler.js';

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

function sameKey(given: string, key: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  // Compared in constant time; a length difference is compared against the key itself to take as long.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(b, b), false);
}

/**
 * Why this request may not reach bulkwrite's own surface, or null when it may. With an admin key set
 * every call must carry it in `X-Bulkwrite-Admin-Key`; without one, only loopback connections are
 * answered. A Zoho access token is never enough (it is not even read). `sessionKey` is a key the console
 * already checked and keeps in its session cookie.
 */
export function adminRefusal(req: FastifyRequest, adminKey: string, sessionKey?: string): ZohoError | null {
  if (adminKey === '') return isLoopback(req.socket.remoteAddress) ? null : new ZohoError('ADMIN_LOOPBACK_ONLY');
  const header = req.headers['x-bulkwrite-admin-key'];
  const given = typeof header === 'string' ? header : sessionKey;
  if (given === undefined || given === '') return new ZohoError('ADMIN_KEY_REQUIRED');
  return sameKey(given, adminKey) ? null : new ZohoError('ADMIN_KEY_INVALID');
}

/**
 * The one rule for bulkwrite's own surface, checked first on every request (before the wrong-method
 * table or a body is read): a route marked `config.admin`, and any path under an admin prefix (matched
 * or not, so that a refused client learns nothing of which admin paths exist). Register before any
 * other hook. `sessionKey` lets the console hand over the key its session cookie holds.
 */
export function guardAdminSurface(
  app: FastifyInstance,
  adminKey: string,
  sessionKey: (req: FastifyRequest) => string | undefined = () => undefined,
): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.admin !== true && !underAdminPrefix(req.url)) return;
    const refusal = adminRefusal(req, adminKey, sessionKey(req));
    if (refusal) return sendZohoError(reply, refusal);
  });
}
