import { randomInt } from 'node:crypto';
import type { Org } from '../domain/types.js';
import type { OAuthClient, Storage } from '../storage/storage.js';
import { ALL_BULK_SCOPES } from './scopes.js';
import { saveAccessTokenWithinLimits, saveRefreshTokenWithinLimits } from './token-limits.js';
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

/** A client as registered: its secret is shown this once, and only its hash is kept. */
export type NewClient = OAuthClient & { clientSecret: string };

export const GRANT_CODE_TTL_MS = 10 * 60 * 1000;

/** Creates an org with one admin user and a Self Client. The org id is a numeric zgid, as Zoho's. */
export async function createOrg(
  storage: Storage,
  opts: { name?: string; timeZone?: string; userName?: string; userEmail?: string; now: number },
): Promise<{ org: Org; client: NewClient }> {
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
  const client = await createClient(storage, org, { now: opts.now });
  return { org, client };
}

/**
 * Registers an OAuth client of the org: a Self Client, or with a redirect URI a server-based client
 * (whose authorization_code exchanges must then name that redirect URI, if they name one).
 */
export async function createClient(
  storage: Storage,
  org: Org,
  opts: { redirectUri?: string | null; name?: string; now: number },
): Promise<NewClient> {
  const redirectUri = opts.redirectUri || null;
  const client: OAuthClient = {
    clientId: newClientId(),
    orgId: org.id,
    clientType: redirectUri ? 'server' : 'self',
    redirectUri,
    name: opts.name ?? (redirectUri ? 'Server-based Client' : 'Self Client'),
    createdAt: opts.now,
  };
  const clientSecret = newClientSecret();
  await storage.oauth.createClient(client, hashSecret(clientSecret));
  return { ...client, clientSecret };
}

/** A single-use grant code (authorization code) for one client of the org, acting as the org's user. */
export async function issueGrantCode(
  storage: Storage,
  org: Org,
  client: OAuthClient,
  opts: { scopes: string[]; expiresInMs?: number; now: number },
): Promise<{ code: string; expiresAt: number }> {
  if (client.orgId !== org.id) throw new Error(`client ${client.clientId} does not belong to org ${org.id}`);
  const code = newToken();
  const expiresAt = opts.now + (opts.expiresInMs ?? GRANT_CODE_TTL_MS);
  await storage.oauth.saveGrantCode({
    codeHash: hashSecret(code),
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes: opts.scopes,
    expiresAt,
  });
  return { code, expiresAt };
}

/** The default org, created on first start. */
export async function ensureDefaultOrg(storage: Storage, now: number): Promise<{ org: Org; created: boolean }> {
  const existing = await storage.orgs.getDefault();
  if (existing) return { org: existing, created: false };
  const { org } = await createOrg(storage, { now });
  return { org, created: true };
}

async function selfClientOf(storage: Storage, org: Org): Promise<OAuthClient> {
  const client = (await storage.oauth.clientsOf(org.id)).find((c) => c.clientType === 'self');
  if (!client) throw new Error(`org ${org.id} has no Self Client`);
  return client;
}

/**
 * An access token alone (no refresh token) for the org's Self Client, acting as the org's user. It counts
 * toward no refresh token's limits, so minting it never revokes a token the user holds (Zoho revokes the
 * oldest of a user's refresh tokens past 20 per client). The web console's own token.
 */
export async function issueAccessToken(
  storage: Storage,
  org: Org,
  opts: { scopes: string[]; now: number; tokenTtlSeconds: number },
): Promise<{ accessToken: string; expiresAt: number }> {
  const client = await selfClientOf(storage, org);
  const access = newToken();
  const expiresAt = opts.now + opts.tokenTtlSeconds * 1000;
  await storage.oauth.saveAccessToken({
    tokenHash: hashSecret(access),
    refreshTokenHash: null,
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes: opts.scopes,
    issuedAt: opts.now,
    expiresAt,
  });
  return { accessToken: access, expiresAt };
}

/**
 * Issues a new refresh token and access token for the org's Self Client, with the given scopes, and a new
 * secret of that client (only hashes of secrets are kept, so an earlier one cannot be shown again; the
 * earlier ones stay valid).
 */
export async function issueCredentials(
  storage: Storage,
  org: Org,
  opts: { scopes?: string[]; now: number; tokenTtlSeconds: number; apiDomain: string; accountsUrl?: string },
): Promise<Credentials> {
  const client = await selfClientOf(storage, org);
  const scopes = opts.scopes && opts.scopes.length > 0 ? opts.scopes : ALL_BULK_SCOPES;
  const refresh = newToken();
  const access = newToken();
  const refreshToken = {
    tokenHash: hashSecret(refresh),
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes,
    createdAt: opts.now,
  };
  await saveRefreshTokenWithinLimits(storage, refreshToken, opts.now);
  const accessToken = {
    tokenHash: hashSecret(access),
    refreshTokenHash: hashSecret(refresh),
    clientId: client.clientId,
    orgId: org.id,
    userId: org.user.id,
    scopes,
    issuedAt: opts.now,
    expiresAt: opts.now + opts.tokenTtlSeconds * 1000,
  };
  await saveAccessTokenWithinLimits(storage, accessToken, opts.now);
  const { code: grantCode } = await issueGrantCode(storage, org, client, { scopes, now: opts.now });
  const clientSecret = newClientSecret();
  await storage.oauth.addClientSecret(client.clientId, hashSecret(clientSecret), opts.now);
  const accountsUrl = opts.accountsUrl ?? opts.apiDomain;
  return {
    org_id: org.id,
    client_id: client.clientId,
    client_secret: clientSecret,
    refresh_token: refresh,
    access_token: access,
    expires_in: opts.tokenTtlSeconds,
    scopes,
    api_domain: opts.apiDomain,
    accounts_url: accountsUrl,
    token_url: `${accountsUrl}/oauth/v2/token`,
    grant_code: grantCode,
  };
}
