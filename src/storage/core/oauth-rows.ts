import type { AccessToken, GrantCode, OAuthClient, RefreshToken } from '../storage.js';
import type { Params, Row } from './sql-dialect.js';

/** Scopes travel as one space-separated text (OAuth's own form); a scope never holds a space. */
const scopesOf = (v: unknown): string[] => String(v).split(' ').filter(Boolean);

export function toClient(r: Row): OAuthClient {
  return {
    clientId: String(r.client_id),
    orgId: String(r.org_id),
    clientType: r.client_type as OAuthClient['clientType'],
    redirectUri: r.redirect_uri === null ? null : String(r.redirect_uri),
    name: String(r.name),
    createdAt: Number(r.created_at),
  };
}

export function toGrantCode(r: Row): GrantCode {
  return {
    codeHash: String(r.code_hash),
    clientId: String(r.client_id),
    orgId: String(r.org_id),
    userId: String(r.user_id),
    scopes: scopesOf(r.scopes),
    expiresAt: Number(r.expires_at),
  };
}

export function toRefreshToken(r: Row): RefreshToken {
  return {
    tokenHash: String(r.token_hash),
    clientId: String(r.client_id),
    orgId: String(r.org_id),
    userId: String(r.user_id),
    scopes: scopesOf(r.scopes),
    createdAt: Number(r.created_at),
  };
}

export function toAccessToken(r: Row): AccessToken {
  return {
    tokenHash: String(r.token_hash),
    refreshTokenHash: r.refresh_token_hash === null ? null : String(r.refresh_token_hash),
    clientId: String(r.client_id),
    orgId: String(r.org_id),
    userId: String(r.user_id),
    scopes: scopesOf(r.scopes),
    ...(r.issued_at === null ? {} : { issuedAt: Number(r.issued_at) }),
    expiresAt: Number(r.expires_at),
  };
}

/** oauth_clients (client_id, org_id, client_type, redirect_uri, name, created_at) */
export const clientInsertParams = (c: OAuthClient): Params => [
  c.clientId,
  c.orgId,
  c.clientType,
  c.redirectUri,
  c.name,
  c.createdAt,
];

/** grant_codes (code_hash, client_id, org_id, user_id, scopes, expires_at) */
export const grantInsertParams = (g: GrantCode): Params => [
  g.codeHash,
  g.clientId,
  g.orgId,
  g.userId,
  g.scopes.join(' '),
  g.expiresAt,
];

/** refresh_tokens (token_hash, client_id, org_id, user_id, scopes, created_at) */
export const refreshInsertParams = (t: RefreshToken): Params => [
  t.tokenHash,
  t.clientId,
  t.orgId,
  t.userId,
  t.scopes.join(' '),
  t.createdAt,
];

/** access_tokens (token_hash, refresh_token_hash, client_id, org_id, user_id, scopes, expires_at, issued_at) */
export const accessInsertParams = (t: AccessToken): Params => [
  t.tokenHash,
  t.refreshTokenHash,
  t.clientId,
  t.orgId,
  t.userId,
  t.scopes.join(' '),
  t.expiresAt,
  t.issuedAt ?? null,
];
