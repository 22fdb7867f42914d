import { ZohoError } from '../errors/zoho-error.js';
import type { Storage } from '../storage/storage.js';
import { hashSecret } from './tokens.js';

export interface AuthContext {
  orgId: string;
  userId: string;
  clientId: string;
  scopes: string[];
}

const SCHEME = /^\s*(Zoho-oauthtoken|Bearer)\s+(\S+)\s*$/i;

/**
 * Reads `Authorization: Zoho-oauthtoken <t>` or `Bearer <t>`. No usable header is AUTHENTICATION_FAILURE
 * (as the seed shows); a token that is unknown, expired or revoked is INVALID_TOKEN.
 */
export async function authenticate(storage: Storage, header: string | undefined, now: number): Promise<AuthContext> {
  const match = header ? SCHEME.exec(header) : null;
  if (!match) throw new ZohoError('AUTHENTICATION_FAILURE');
  const token = await storage.oauth.getAccessToken(hashSecret(match[2]!), now);
  if (!token) throw new ZohoError('INVALID_TOKEN');
  return { orgId: token.orgId, userId: token.userId, clientId: token.clientId, scopes: token.scopes };
}
