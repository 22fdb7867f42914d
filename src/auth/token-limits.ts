import type { AccessToken, RefreshToken, Storage } from '../storage/storage.js';

/**
 * Zoho's accounts limits on tokens (spec §10.4; zoho.com/accounts/protocol/oauth/token-limits.html):
 * - at most `rateLimit` access tokens from one refresh token in 10 minutes (Zoho: 10), then refused;
 * - at most 30 live access tokens per refresh token: the 31st revokes the oldest;
 * - at most 20 refresh tokens per user of a client: the 21st revokes the oldest, with its access tokens.
 * (Zoho's current accounts page says 15 live access tokens; the spec this server follows says 30.)
 */
export const TOKEN_RATE_WINDOW_MS = 10 * 60 * 1000;
export const MAX_LIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN = 30;
export const MAX_REFRESH_TOKENS_PER_USER = 20;

/** The accounts server's answer (HTTP 200, like its other errors) once the 10-minute limit is reached. */
export const THROTTLED = {
  error_description: 'Token creation throttle limit reached. Please reuse the valid tokens you currently have.',
  error: 'Access Denied',
} as const;

/** True when this refresh token already had `limit` access tokens in the last 10 minutes (0: no limit). */
export async function isThrottled(
  storage: Storage,
  refreshTokenHash: string,
  limit: number,
  now: number,
): Promise<boolean> {
  if (limit <= 0) return false;
  return (await storage.oauth.countAccessTokensIssued(refreshTokenHash, now - TOKEN_RATE_WINDOW_MS)) >= limit;
}

/** Saves a refresh token, then revokes the user's oldest ones for this client beyond the cap. */
export async function saveRefreshTokenWithinLimits(storage: Storage, token: RefreshToken, now: number): Promise<void> {
  await storage.oauth.saveRefreshToken(token);
  await storage.oauth.pruneRefreshTokens(token.clientId, token.userId, MAX_REFRESH_TOKENS_PER_USER, now);
}

/** Saves an access token, then revokes its refresh token's oldest live access tokens beyond the cap. */
export async function saveAccessTokenWithinLimits(storage: Storage, token: AccessToken, now: number): Promise<void> {
  await storage.oauth.saveAccessToken(token);
  if (token.refreshTokenHash !== null) {
    await storage.oauth.pruneAccessTokens(token.refreshTokenHash, MAX_LIVE_ACCESS_TOKENS_PER_REFRESH_TOKEN, now);
  }
}
