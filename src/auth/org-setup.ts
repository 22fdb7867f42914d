import { randomInt } from 'node:crypto';
import type { Org } from '../domain/types.js';
import type { OAuthClient, Storage } from '../storage/storage.js';
import { ALL_BULK_SCOPES } from './scopes.js';
import { hashSecret, newClientId, newClientSecret, newToken } from './tokens.js';

export interface Credentials {
  org_id: string;
  client_id: string;
  client_secret: string;
  refresh_token: string;
  access_token: string;
  expires_in: number;
  scopes: string[];
  api_domain: string;
  /** The accounts server's base URL, as Zoho's `accounts-url` (https://accounts.zoho.com). */
  accounts_url: string;
  /** The token endpoint; what an official SDK's Environment takes as its accounts URL. */
  token_url: string;
  /** A single-use grant code for the authorization_code flow, valid for ten minutes. */
  grant_code: string;
}

export const GRANT_CODE_TTL_MS = 10 * 60 * 1000;

/** Creates an org with one admin user and a Self Client. The org id is a numeric zgid, as Zoho's. */
export async function createOrg(
  storage: Storage,
  opts: { name?: string; timeZone?: string; userName?: string; userEmail?: string; now: number },
): Promise<{ org: Org; client: OAuthClient }> {
  const userId = (await storage.reserveIds(1)).toString();
  let orgId = String(randomInt(100_000_000, 999_999_999));
  while (await storage.orgs.get(orgId)) orgId = String(randomInt(100_000_000, 999_999_999));
  const org: Org = {
    id: orgId,
    name: opts.name ?? 'bulkwrite',
    timeZone: opts.timeZone ?? 'UTC',
    createdAt: opts.now,
    user: {
      id: userId,
      name: opts.userName ?? 'Bulkwrite Admin',
      email: opts.userEmail ?? `admin@org${orgId}.bulkwrite.local`,
    },
  };
  await storage.orgs.create(org);
  const client: OAuthClient = {
    clientId: newClientId(),
    orgId,
    clientSecret: newClientSecret(),
    clientType: 'self',
    redirectUri: null,
    name: 'Self Client',
    createdAt: opts.now,
  };
  await storage.oauth.createClient(client);
  return { org, client };
}

/** The default org, created on first start. */
export async function ensureDefaultOrg(storage: Storage, now: number): Promise<{ org: Org; created: boolean }> {
  const existing = await storage.orgs.getDefault();
  if (existing) return { org: existing, created: false };
  const { org } = await createOrg(storage, { now });
  return { org, created: true };
}

/** Issues a new refresh token and access token for the org's Self Client, with the given scopes. */
export async function issueCredentials(
  storage: Storage,
  org: Org,
  opts: { scopes?: string[]; now: number; tokenTtlSeconds: number; apiDomain: string },
): Promise<Credentials> {
  const client = (await storage.oauth.clientsOf(org.id)).find((c) => c.clientType === 'self');
  if (!client) throw new Error(`org ${org.id} has no Self Client`);
  const scopes = opts.scopes && opts.scopes.length > 0 ? opts.scopes : ALL_BULK_SCOPES;
  const refresh = newToken();
  const access = newToken();
  await storage.oauth.saveRefreshToken({
    tokenHash: hashSecret(refresh),
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes,
    createdAt: opts.now,
  });
  await storage.oauth.saveAccessToken({
    tokenHash: hashSecret(access),
    refreshTokenHash: hashSecret(refresh),
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes,
    expiresAt: opts.now + opts.tokenTtlSeconds * 1000,
  });
  const grantCode = newToken();
  await storage.oauth.saveGrantCode({
    codeHash: hashSecret(grantCode),
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes,
    expiresAt: opts.now + GRANT_CODE_TTL_MS,
  });
  return {
    org_id: org.id,
    client_id: client.clientId,
    client_secret: client.clientSecret,
    refresh_token: refresh,
    access_token: access,
    expires_in: opts.tokenTtlSeconds,
    scopes,
    api_domain: opts.apiDomain,
    accounts_url: opts.apiDomain,
    token_url: `${opts.apiDomain}/oauth/v2/token`,
    grant_code: grantCode,
  };
}
