import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulkwriteAdmin, type AdminCredentials } from './client/admin.js';
import { loadConfig, type Config } from './config.js';
import { startServer } from './server.js';

/**
 * `import { startBulkwrite } from 'bulkwrite/testing'` (docs/testing.md): a bulkwrite server for a test
 * suite, in the test's own process, on a free loopback port, with a SQLite store in a temporary folder
 * that stop() removes. What it answers is the admin API's typed client and fresh credentials of the
 * default org, so a test needs nothing else to talk to it as it would to Zoho.
 */

export interface StartOptions {
  /** Settings as `loadConfig` takes them (e.g. `{ batchSize: 100 }`); the port, host and data folder are chosen here. */
  config?: Partial<Config>;
  /** Sent as X-Bulkwrite-Admin-Key by `admin`, and set as the server's BULKWRITE_ADMIN_KEY (default: none, loopback only). */
  adminKey?: string;
}

export interface Bulkwrite {
  /** Where the Zoho API is (an SDK's environment, `api_domain`). */
  apiDomain: string;
  /** Where the accounts server is (`/oauth/v2/token`). */
  accountsUrl: string;
  /** The default org. */
  orgId: string;
  /** Its Self Client and fresh tokens, as `bulkwrite credentials --json` prints them. */
  credentials: AdminCredentials;
  /** The typed admin client (reset, faults, callbacks, inbox, limits, clock, requests, release, …). */
  admin: BulkwriteAdmin;
  /** The server's data folder (removed by stop()). */
  dataDir: string;
  /** Stops the server and removes its store. */
  stop(): Promise<void>;
}

export async function startBulkwrite(options: StartOptions = {}): Promise<Bulkwrite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-testing-'));
  try {
    const config = loadConfig(
      {},
      {
        logLevel: 'silent',
        pollIntervalMs: 50,
        ...options.config,
        host: '127.0.0.1',
        port: 0,
        dataDir,
        adminKey: options.adminKey ?? '',
      },
    );
    const server = await startServer(config);
    const admin = new BulkwriteAdmin({ url: server.url, adminKey: options.adminKey });
    let credentials: AdminCredentials;
    try {
      credentials = await admin.token(server.org.id);
    } catch (e) {
      await server.close();
      throw e;
    }
    let stopped: Promise<void> | null = null;
    return {
      apiDomain: server.presentation.apiDomain,
      accountsUrl: server.presentation.accountsUrl,
      orgId: server.org.id,
      credentials,
      admin,
      dataDir,
      stop() {
        stopped ??= server.close().finally(() => rmSync(dataDir, { recursive: true, force: true }));
        return stopped;
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

export { BulkwriteAdmin, AdminApiError } from './client/admin.js';
export type * from './client/admin.js';
