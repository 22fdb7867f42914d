import { createClient, tokenUrlOf, type BulkWriteClient, type Credentials } from '../../client/index.js';
import { configPath } from './paths.js';
import { loadConfigFile, requireCredentials, resolveConnection, type Connection } from './profiles.js';
import { readCachedToken, tokenKey, writeCachedToken } from './state.js';

export const USER_AGENT = 'bulkwrite-cli/0.1.0';

/** The connection the flags, environment and config file describe (credentials may be missing). */
export function connectionFrom(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
): Connection {
  return resolveConnection(flags, env, loadConfigFile(configPath(env)));
}

/** A client for the connection; refreshed tokens are cached in the state folder for the next run. */
export function clientFor(conn: Connection, env: NodeJS.ProcessEnv): BulkWriteClient {
  let credentials: Credentials = requireCredentials(conn);
  if (typeof credentials === 'object' && 'refreshToken' in credentials) {
    const key = tokenKey(tokenUrlOf(conn.endpoints.accountsUrl), credentials.clientId, credentials.refreshToken);
    const cached = credentials.accessToken ? null : readCachedToken(env, key, Date.now());
    credentials = {
      ...credentials,
      ...(cached ? { accessToken: cached.accessToken, expiresAt: cached.expiresAt } : {}),
      onRefresh: (token) => writeCachedToken(env, key, token, Date.now()),
    };
  }
  return createClient({
    ...conn.endpoints,
    ...(conn.org ? { orgId: conn.org } : {}),
    apiVersion: conn.apiVersion,
    credentials,
    userAgent: USER_AGENT,
  });
}
