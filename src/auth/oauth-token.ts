import type { Storage } from '../storage/storage.js';
import { parseScopeList } from './scopes.js';
import { isThrottled, saveAccessTokenWithinLimits, saveRefreshTokenWithinLimits, THROTTLED } from './token-limits.js';
import { hashSecret, matchesSecretHash, newToken } from './tokens.js';

export type TokenParams = Record<string, string | undefined>;

export interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  scope?: string;
  api_domain?: string;
  token_type?: 'Bearer';
  expires_in?: number;
  error_description?: string;
  error?: string;
}

interface Options {
  now: number;
  tokenTtlSeconds: number;
  apiDomain: string;
  /** Access tokens per refresh token per 10 minutes; 0: no limit. */
  rateLimit?: number;
}

/**
 * Zoho's accounts token endpoint. Every answer is HTTP 200; errors are `{"error": "<code>"}` as Zoho
 * gives them. `expires_in` is in seconds and `expires_in_sec` is never sent (the SDK would then read
 * expires_in as milliseconds).
 */
export async function exchangeToken(storage: Storage, params: TokenParams, opts: Options): Promise<TokenAnswer> {
  const grantType = params.grant_type;
  if (!grantType) return { error: 'invalid_request' };
  if (grantType !== 'authorization_code' && grantType !== 'refresh_token' && grantType !== 'client_credentials') {
    return { error: 'unsupported_grant_type' };
  }
  const client = params.client_id ? await storage.oauth.getClient(params.client_id) : undefined;
  if (!client) return { error: 'invalid_client' };
  const secretHashes = await storage.oauth.clientSecretHashes(client.clientId);
  if (params.client_secret === undefined || !matchesSecretHash(params.client_secret, secretHashes))
    return { error: 'invalid_client_secret' };

  const issue = async (
    orgId: string,
    userId: string,
    scopes: string[],
    refreshHash: string | null,
  ): Promise<string> => {
    const access = newToken();
    const token = {
      tokenHash: hashSecret(access),
      refreshTokenHash: refreshHash,
      clientId: client.clientId,
      orgId,
      userId,
      scopes,
      issuedAt: opts.now,
      expiresAt: opts.now + opts.tokenTtlSeconds * 1000,
    };
    await saveAccessTokenWithinLimits(storage, token, opts.now);
    return access;
  };
  const answer = (access: string, scopes: string[], refresh?: string): TokenAnswer => ({
    access_token: access,
    ...(refresh ? { refresh_token: refresh } : {}),
    scope: scopes.join(' '),
    api_domain: opts.apiDomain,
    token_type: 'Bearer',
    expires_in: opts.tokenTtlSeconds,
  });

  if (grantType === 'authorization_code') {
    if (!params.code) return { error: 'invalid_code' };
    if (client.redirectUri && params.redirect_uri && params.redirect_uri !== client.redirectUri)
      return { error: 'invalid_redirect_uri' };
    const code = await storage.oauth.consumeGrantCode(hashSecret(params.code), opts.now);
    if (!code || code.clientId !== client.clientId) return { error: 'invalid_code' };
    const refresh = newToken();
    const token = {
      tokenHash: hashSecret(refresh),
      clientId: client.clientId,
      orgId: code.orgId,
      userId: code.userId,
      scopes: code.scopes,
      createdAt: opts.now,
    };
    await saveRefreshTokenWithinLimits(storage, token, opts.now);
    return answer(await issue(code.orgId, code.userId, code.scopes, hashSecret(refresh)), code.scopes, refresh);
  }

  if (grantType === 'refresh_token') {
    const token = params.refresh_token
      ? await storage.oauth.getRefreshToken(hashSecret(params.refresh_token))
      : undefined;
    if (!token || token.clientId !== client.clientId) return { error: 'invalid_code' };
    if (await isThrottled(storage, token.tokenHash, opts.rateLimit ?? 0, opts.now)) return { ...THROTTLED };
    return answer(await issue(token.orgId, token.userId, token.scopes, token.tokenHash), token.scopes);
  }

  // client_credentials: a Self Client acting for its org, named by soid=ZohoCRM.<zgid>.
  const soid = params.soid ?? '';
  const match = /^ZohoCRM\.(\d+)$/i.exec(soid);
  if (!match) return { error: 'missing_org_info' };
  if (match[1] !== client.orgId) return { error: 'invalid_client' };
  const org = await storage.orgs.get(client.orgId);
  if (!org) return { error: 'invalid_client' };
  const scopes = parseScopeList(params.scope ?? '');
  if (scopes.length === 0) return { error: 'invalid_scope' };
  return answer(await issue(org.id, org.user.id, scopes, null), scopes);
}

export interface RevokeAnswer {
  httpStatus: 200 | 400;
  body: { status: 'success' } | { error: string };
}

/**
 * `POST /oauth/v2/token/revoke?token=…`: a refresh token (and every access token issued from it) or an
 * access token. Zoho answers `{"status":"success"}`, and HTTP 400 for a token it does not know; that body
 * is not documented, so it is `{"error":"invalid_token"}` in the accounts server's style.
 */
export async function revokeToken(storage: Storage, params: TokenParams, now: number): Promise<RevokeAnswer> {
  const token = params.token?.trim();
  if (token) {
    const hash = hashSecret(token);
    if ((await storage.oauth.revokeRefreshToken(hash, now)) || (await storage.oauth.revokeAccessToken(hash, now))) {
      return { httpStatus: 200, body: { status: 'success' } };
    }
  }
  return { httpStatus: 400, body: { error: 'invalid_token' } };
}
