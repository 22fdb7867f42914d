import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCredentials, type Credentials } from '../../src/auth/org-setup.js';
import { loadConfig, type Config } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface TestServer {
  url: string;
  dataDir: string;
  config: Config;
  server: RunningServer;
  creds: Credentials;
  /** Fresh credentials for the default org, optionally with fewer scopes. */
  credentials(scopes?: string[]): Promise<Credentials>;
  close(): Promise<void>;
}

/** A real bulkwrite server on 127.0.0.1 with a free port and a SQLite data folder of its own. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulkwrite-test-'));
  const config = loadConfig({}, { port: 0, dataDir, logLevel: 'silent', pollIntervalMs: 50, ...overrides });
  const server = await startServer(config);
  const credentials = (scopes?: string[]) =>
    issueCredentials(server.storage, server.org, {
      scopes,
      now: Date.now(),
      tokenTtlSeconds: config.tokenTtlSeconds,
      apiDomain: server.url,
    });
  const creds = await credentials();
  return {
    url: server.url,
    dataDir,
    config,
    server,
    creds,
    credentials,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
