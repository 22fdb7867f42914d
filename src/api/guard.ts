import type { FastifyRequest } from 'fastify';
import { authenticate, type AuthContext } from '../auth/authenticate.js';
import { findApiVersion, type ApiVersion } from '../domain/api-versions.js';
import { ZohoError } from '../errors/zoho-error.js';
import type { Storage } from '../storage/storage.js';

/** Authenticates the request and checks a scope; OAUTH_SCOPE_MISMATCH when the token lacks it. */
export async function requireAuth(
  storage: Storage,
  req: FastifyRequest,
  now: number,
  allowed: (scopes: readonly string[]) => boolean,
): Promise<AuthContext> {
  const auth = await authenticate(storage, req.headers.authorization, now);
  if (!allowed(auth.scopes)) throw new ZohoError('OAUTH_SCOPE_MISMATCH');
  return auth;
}

/** The API version of a `/crm/…/{version}/…` URL; INVALID_URL_PATTERN for one Zoho never served. */
export function requireVersion(name: string): ApiVersion {
  const version = findApiVersion(name);
  if (!version) throw new ZohoError('INVALID_URL_PATTERN');
  return version;
}
